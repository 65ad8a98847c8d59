//! The desk's UI files (`web/desk/`), embedded in the binary: the desk needs no folder at
//! run time and serves nothing but this fixed list.
//!
//! Must never: serve a file that is not listed here, or anything from outside the binary.

use actix_web::{http::header, web, HttpResponse};

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JSON: &str = "application/json";

macro_rules! file {
    ($path:literal, $type:expr) => {
        (
            concat!("/", $path),
            $type,
            include_bytes!(concat!("../../web/desk/", $path)) as &[u8],
        )
    };
}

/// (URL path, content type, bytes).
const FILES: &[(&str, &str, &[u8])] = &[
    file!("index.html", HTML),
    file!("desk.css", CSS),
    file!("js/api.js", JS),
    file!("js/i18n.js", JS),
    file!("js/inbox.js", JS),
    file!("js/tip.js", JS),
    file!("js/charts.js", JS),
    file!("js/cases.js", JS),
    file!("js/main.js", JS),
    file!("i18n/en.json", JSON),
    file!("i18n/ko.json", JSON),
];

/// The file at `path` (`/` is the page), if it is one of ours.
fn find(path: &str) -> Option<(&'static str, &'static [u8])> {
    let path = if path == "/" { "/index.html" } else { path };
    FILES
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, t, b)| (*t, *b))
}

/// Serves one embedded file, or 404.
pub async fn serve(req: actix_web::HttpRequest) -> HttpResponse {
    match find(req.path()) {
        Some((content_type, bytes)) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, content_type))
            .body(bytes),
        None => HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("not found\n"),
    }
}

/// Registers every file's route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    for (path, _, _) in FILES {
        cfg.route(path, web::get().to(serve));
    }
    cfg.route("/", web::get().to(serve));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_its_modules_are_embedded() {
        assert!(find("/").is_some());
        assert!(find("/js/main.js").is_some());
        assert!(find("/../Cargo.toml").is_none());
    }
}
