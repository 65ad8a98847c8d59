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

use super::countries;
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
        // The operator's words, or the page's own default in the witness's language.
        let org_name = settings.org_name.as_ref().map_or_else(
            || i18n::text(lang, "org_default", "the organisation"),
            |o| o.as_str().to_owned(),
        );
        let safety_contact = settings.safety_contact.as_ref().map_or_else(
            || {
                i18n::text(
                    lang,
                    "safety_contact_default",
                    "If you are in danger now, get to a safe place first and contact local \
                     emergency services or someone you trust. This page cannot send help.",
                )
            },
            |o| o.as_str().to_owned(),
        );
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
            "org_name": org_name,
            "org_configured": settings.org_name.is_some(),
            "safety_contact": safety_contact,
            "countries": countries::for_language(lang),
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

/// Every template, by name.
const TEMPLATES: [(&str, &str); 5] = [
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
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.add_filter("ltr_runs", ltr_runs);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "a page template does not parse");
            }
        }
        env
    })
}

/// The `ltr_runs` filter: `text` escaped, with every run of digits and hyphens (a date
/// such as 2024-03-15, a code) isolated in `<bdi dir="ltr">`, so that on a right-to-left
/// page it reads as written instead of reordered.
fn ltr_runs(text: &str) -> minijinja::Value {
    let mut out = String::with_capacity(text.len() + 32);
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        // A trailing hyphen belongs to the sentence, not the date.
        let trimmed = run.trim_end_matches('-');
        out.push_str("<bdi dir=\"ltr\">");
        out.push_str(trimmed);
        out.push_str("</bdi>");
        out.push_str(&run[trimmed.len()..]);
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() || (c == '-' && !run.is_empty()) {
            run.push(c);
            continue;
        }
        flush(&mut run, &mut out);
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    flush(&mut run, &mut out);
    minijinja::Value::from_safe_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_isolated_left_to_right_and_the_rest_is_escaped() {
        let html = ltr_runs("<b>سنة: 2024، 2024-03 أو 2024-03-15-</b>").to_string();
        assert_eq!(
            html,
            "&lt;b&gt;سنة: <bdi dir=\"ltr\">2024</bdi>، <bdi dir=\"ltr\">2024-03</bdi> أو \
             <bdi dir=\"ltr\">2024-03-15</bdi>-&lt;/b&gt;"
        );
    }

    #[test]
    fn every_template_parses() {
        let mut fresh = Environment::new();
        for (name, source) in TEMPLATES {
            if let Err(e) = fresh.add_template(name, source) {
                panic!("{name}: {e:#}");
            }
            env().get_template(name).expect(name);
        }
    }
}
