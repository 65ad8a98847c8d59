//! The witness page on a shared phone (issue 8): a form posted again by Back then
//! Forward or a reload stores nothing twice; the no-JavaScript mailbox never puts the
//! receipt words in a page; `HEAD`, a language without its slash and the favicon answer
//! without a 404. Real server, plain HTTP; asserts behaviour, not template wording
//! (except that refusals are in the witness's language).

mod common;

use common::*;

fn text(resp: &HttpResponse) -> String {
    String::from_utf8_lossy(&resp.body).into_owned()
}

/// A tip form exactly as a browser posts it from the page `GET /{lang}/` gave: with the
/// page's token.
fn tip_form_from_page(server: &ServerGuard, lang: &str, narrative: &str) -> Vec<u8> {
    let page = text(&server.get(&format!("/{lang}/")));
    let token = hidden_fields(&page, "form_token")
        .into_iter()
        .next()
        .expect("the form carries a token");
    multipart_body(
        &[
            ("form_token", &token),
            ("language", lang),
            ("narrative", narrative),
        ],
        &[],
    )
}

fn receipt_words(page: &str) -> Option<String> {
    // The receipt is a numbered list, one item a word.
    receipt_word_list(page, "receipt-words").map(|(_, words)| words.join(" "))
}

#[test]
fn back_then_forward_re_posts_the_tip_form_and_gets_already_received_not_a_second_tip() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let form = tip_form_from_page(&server, "ru", "Паспорта забрали в первый же день.");
    let first = post_form_exactly(&server, "/ru/submit", &form);
    assert_eq!(first.status, 200, "{}", text(&first));
    let words = receipt_words(&text(&first)).expect("a receipt");

    for _ in 0..2 {
        let again = post_form_exactly(&server, "/ru/submit", &form);
        assert_eq!(again.status, 409, "the re-post is refused, not stored");
        assert_witness_headers(&again, "the already-received page");
        assert_page_language(&again, "ru", "ltr");
        let page = text(&again);
        assert!(page.contains(&page_string("ru", "err_already_received")));
        assert!(receipt_words(&page).is_none(), "no second receipt");
        assert!(!page.contains(&words), "nor the first one's words");
    }
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}

#[test]
fn two_concurrent_posts_of_one_token_store_one_tip() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let (jpeg, _) = jpeg_with_exif();
    let page = text(&server.get("/en/"));
    let token = hidden_fields(&page, "form_token").remove(0);
    let form = multipart_body(
        &[("form_token", &token), ("narrative", "the same tap, twice")],
        &[("attachments", "gate.jpg", "image/jpeg", &jpeg)],
    );
    let statuses: Vec<u16> = std::thread::scope(|s| {
        let posts: Vec<_> = (0..4)
            .map(|_| s.spawn(|| post_form_exactly(&server, "/en/submit", &form).status))
            .collect();
        posts.into_iter().map(|p| p.join().unwrap()).collect()
    });
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "exactly one post stores: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 409].contains(s)),
        "{statuses:?}"
    );
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}

#[test]
fn a_refused_post_keeps_its_token_so_the_corrected_form_goes_through() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let page = text(&server.get("/pl/"));
    let token = hidden_fields(&page, "form_token").remove(0);
    let wrong = multipart_body(
        &[("form_token", &token), ("worksite.observed_from", "wiosna")],
        &[],
    );
    assert_eq!(post_form_exactly(&server, "/pl/submit", &wrong).status, 400);
    let right = multipart_body(&[("form_token", &token), ("narrative", "poprawione")], &[]);
    let stored = post_form_exactly(&server, "/pl/submit", &right);
    assert_eq!(stored.status, 200, "{}", text(&stored));
    assert_eq!(review_ids(&server.url, &team.reviewer_key).len(), 1);
}

#[test]
fn a_form_without_a_token_or_with_a_forged_one_comes_back_with_what_was_typed() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let real = hidden_fields(&text(&server.get("/zh/")), "form_token").remove(0);
    // Another form's token (the mailbox login's) is no tip-form token either.
    let mailbox = hidden_fields(&text(&server.get("/zh/followup")), "form_token").remove(0);
    let mut forged = real.clone().into_bytes();
    forged[3] = if forged[3] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for token in [None, Some(forged.as_str()), Some(mailbox.as_str())] {
        let mut fields = vec![("narrative", "工地上没有休息日")];
        if let Some(t) = token {
            fields.push(("form_token", t));
        }
        let resp = post_form_exactly(&server, "/zh/submit", &multipart_body(&fields, &[]));
        assert_eq!(resp.status, 400, "{token:?}");
        let page = text(&resp);
        assert!(page.contains(&page_string("zh", "err_form_expired")));
        assert!(
            page.contains("工地上没有休息日</textarea>"),
            "the text comes back"
        );
        let fresh = hidden_fields(&page, "form_token").remove(0);
        assert_ne!(Some(fresh.as_str()), token, "with a fresh token");
    }
    assert!(review_ids(&server.url, &team.reviewer_key).is_empty());
}

#[test]
fn the_no_js_mailbox_never_puts_the_words_in_a_page_and_a_re_post_does_nothing_twice() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let form = tip_form_from_page(&server, "en", "The gate is locked at night.");
    let receipt = post_form_exactly(&server, "/en/submit", &form);
    let words = receipt_words(&text(&receipt)).unwrap();
    let id = review_ids(&server.url, &team.reviewer_key).remove(0);
    let reply = format!("which gate? ref-{}", random_hex(6));
    review_reply(&server.url, &team.reviewer_key, &id, &reply);
    // Two words in a row never occur in a page by chance.
    let pairs: Vec<String> = words
        .split(' ')
        .collect::<Vec<_>>()
        .windows(2)
        .map(|w| w.join(" "))
        .collect();
    let no_words = |resp: &HttpResponse, what: &str| {
        let page = text(resp);
        for pair in &pairs {
            assert!(!page.contains(pair.as_str()), "{what} holds the words");
        }
        for (name, value) in &resp.headers {
            assert!(
                !value.contains(&words),
                "{what}: header {name} holds the words"
            );
        }
    };

    let login_token = hidden_fields(&text(&server.get("/en/followup")), "form_token").remove(0);
    let login = multipart_body(
        &[
            ("form_token", &login_token),
            ("action", "open"),
            ("words", &words),
        ],
        &[],
    );
    let opened = post_form_exactly(&server, "/en/followup", &login);
    assert_eq!(opened.status, 200, "{}", text(&opened));
    assert!(text(&opened).contains(&reply));
    no_words(&opened, "the opened mailbox");
    let session = hidden_fields(&text(&opened), "session").remove(0);
    assert!(!session.is_empty());

    // Back then Forward: the login posted again opens nothing.
    let again = post_form_exactly(&server, "/en/followup", &login);
    assert_eq!(again.status, 409);
    assert!(!text(&again).contains(&reply), "the re-post shows no reply");
    assert!(text(&again).contains(&page_string("en", "err_already_sent_mailbox")));
    assert!(hidden_fields(&text(&again), "session").is_empty());
    no_words(&again, "the re-posted login");

    // A message through the session, then the same post again.
    let add_token = hidden_fields(&text(&opened), "form_token").remove(0);
    let message = format!("the north gate ref-{}", random_hex(6));
    let add = multipart_body(
        &[
            ("form_token", &add_token),
            ("action", "add"),
            ("session", &session),
            ("message", &message),
        ],
        &[],
    );
    let sent = post_form_exactly(&server, "/en/followup", &add);
    assert_eq!(sent.status, 200, "{}", text(&sent));
    assert!(text(&sent).contains(&page_string("en", "followup_sent")));
    no_words(&sent, "the page after sending");
    let resent = post_form_exactly(&server, "/en/followup", &add);
    assert_eq!(resent.status, 409);
    no_words(&resent, "the re-posted message");

    let shown = review_show(&server.url, &team.reviewer_key, &id, None);
    let mine = shown["conversation"]
        .as_array()
        .expect("a conversation")
        .iter()
        .filter(|e| e.to_string().contains(&message))
        .count();
    assert_eq!(mine, 1, "the message is stored once");

    // A made-up or mangled handle opens nothing, and says to type the words again.
    let fresh = hidden_fields(&text(&server.get("/en/followup")), "form_token")[1].clone();
    for handle in ["", "not-a-handle", &session[..session.len() - 2]] {
        let resp = post_form_exactly(
            &server,
            "/en/followup",
            &multipart_body(
                &[
                    ("form_token", &fresh),
                    ("action", "add"),
                    ("session", handle),
                    ("message", "x"),
                ],
                &[],
            ),
        );
        assert_eq!(resp.status, 400, "{handle}");
        assert!(text(&resp).contains(&page_string("en", "err_page_expired_mailbox")));
    }
}

#[test]
fn head_answers_like_get_on_every_page_and_asset_without_a_body() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    let send =
        |method: &str, path: &str| raw_http(server.addr, None, &request(method, path, &[], &[]));
    for path in [
        "/",
        "/en/",
        "/ar/",
        "/ko/followup",
        "/static/app.js",
        "/static/style.css",
        "/static/sodium.js",
        "/static/nothing.js",
        "/xx/",
        "/ko",
        "/favicon.ico",
    ] {
        let get = send("GET", path);
        let head = send("HEAD", path);
        assert_eq!(head.status, get.status, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has a body");
        for name in [
            "content-type",
            "content-length",
            "content-security-policy",
            "cache-control",
            "location",
            "x-content-type-options",
            "referrer-policy",
        ] {
            assert_eq!(head.header(name), get.header(name), "HEAD {path}: {name}");
        }
        if get.status == 200 {
            assert_witness_headers(&head, &format!("HEAD {path}"));
        }
    }
    // The API keeps its own described methods.
    assert_eq!(send("HEAD", "/api/v1/health").status, 405);
}

#[test]
fn a_language_without_its_slash_redirects_and_no_page_asks_for_a_missing_favicon() {
    let team = setup_team();
    let server = team.spawn_server(&[]);
    for lang in LANGUAGES {
        let resp = server.get(&format!("/{lang}"));
        assert_eq!(resp.status, 308, "/{lang}");
        assert_eq!(resp.header("location"), Some(format!("/{lang}/").as_str()));
        for path in [format!("/{lang}/"), format!("/{lang}/followup")] {
            let page = text(&server.get(&path));
            assert!(
                page.contains(r#"<link rel="icon" href="/favicon.ico">"#),
                "{path} names the served icon (the CSP's img-src 'self')"
            );
        }
    }
    assert_eq!(server.get("/xx").status, 404);
    let icon = server.get("/favicon.ico");
    assert_eq!(icon.status, 204);
    assert!(icon.body.is_empty());
    assert_eq!(
        icon.header("cache-control"),
        Some("no-store"),
        "no-store: what keeps the pages out of Chromium's back/forward cache"
    );
}
