//! Rendering the page templates (`web/templates/*.html`, embedded) with minijinja.
//!
//! Templates are auto-escaped. Pages are rendered per request: the keyring, whose
//! genesis admins the page pins, can change while the server runs.

use std::sync::OnceLock;

use actix_web::http::header::{self, ContentType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use minijinja::Environment;
use serde_json::{json, Map, Value};

use super::i18n::{self, Language, LANGUAGES};
use super::{WebSettings, PAGE_CSP};
use crate::domain::Epoch;
use crate::http::form_tokens::FormKind;
use crate::http::AppState;

/// Everything every template gets.
pub(super) struct Page {
    vars: Map<String, Value>,
}

impl Page {
    /// The common variables for `lang`, from the request's app data.
    pub fn new(req: &HttpRequest, lang: &'static Language) -> Self {
        let settings = req
            .app_data::<web::Data<WebSettings>>()
            .map(|s| s.get_ref().clone())
            .unwrap_or_default();
        let state = req.app_data::<web::Data<AppState>>();
        let admin_keys = state
            .and_then(|s| s.keyring())
            .and_then(|k| {
                k.manifest(Epoch::FIRST).map(|m| {
                    m.admins
                        .iter()
                        .map(|a| a.sign_pk.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
            })
            .unwrap_or_default();
        let max_body_bytes = state.map_or(0, |s| s.limits.max_body_bytes);
        // The page's limits come from here, never from numbers copied into its script.
        let max_tip_bytes = state.map_or(0, |s| s.limits.max_tip_bytes);
        let max_file_bytes = crate::domain::limits::MAX_FILE_BYTES;
        // Each form's single-use token (`http::form_tokens`): a re-post does nothing twice.
        let token = |kind| state.map_or(String::new(), |s| s.form_tokens.issue(kind));
        let languages: Vec<Value> = LANGUAGES
            .iter()
            .map(|l| json!({"code": l.code, "name": l.name(), "current": l.code == lang.code}))
            .collect();
        let vars = json!({
            "lang": lang.code,
            "dir": lang.dir(),
            "t": i18n::strings(lang),
            "languages": languages,
            "admin_keys": admin_keys,
            "onion": settings.onion.unwrap_or_default(),
            "exit_url": settings.exit_url,
            "max_body_bytes": max_body_bytes,
            "max_tip_bytes": max_tip_bytes,
            "max_file_bytes": max_file_bytes,
            "form_token": token(FormKind::Tip),
            "open_token": token(FormKind::MailboxOpen),
            "add_token": token(FormKind::MailboxAdd),
            // The form's own values: empty except when it comes back after an error.
            "values": {},
            "checked": [],
        });
        let Value::Object(vars) = vars else {
            unreachable!("json! of an object literal is an object")
        };
        Self { vars }
    }

    /// Renders `template` with the common variables plus `extra`, as an HTML response.
    pub fn render(
        &self,
        status: StatusCode,
        template: &str,
        extra: &[(&str, Value)],
    ) -> HttpResponse {
        let mut vars = self.vars.clone();
        // The language switch leads to the same page in another language.
        let language_page = if template == "followup.html" {
            "followup"
        } else {
            ""
        };
        vars.insert("language_page".to_owned(), Value::from(language_page));
        for (k, v) in extra {
            vars.insert((*k).to_owned(), v.clone());
        }
        let rendered = env()
            .get_template(template)
            .and_then(|t| t.render(minijinja::value::Serde(&vars)));
        match rendered {
            Ok(body) => html(status, body),
            Err(e) => {
                // A template bug, not request data: the error names the template and line.
                tracing::error!(template, error = %e, "a page template failed to render");
                html(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "<!doctype html><title>Error</title><p>Internal error.</p>".to_owned(),
                )
            }
        }
    }
}

/// An HTML response with the page's CSP.
pub(super) fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .body(body)
}

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in [
            (
                "base.html",
                include_str!("../../../web/templates/base.html"),
            ),
            (
                "form.html",
                include_str!("../../../web/templates/form.html"),
            ),
            (
                "receipt.html",
                include_str!("../../../web/templates/receipt.html"),
            ),
            (
                "error.html",
                include_str!("../../../web/templates/error.html"),
            ),
            (
                "followup.html",
                include_str!("../../../web/templates/followup.html"),
            ),
        ] {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "a page template does not parse");
            }
        }
        env
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for name in [
            "base.html",
            "form.html",
            "receipt.html",
            "error.html",
            "followup.html",
        ] {
            env().get_template(name).expect(name);
        }
    }
}
