use std::path::{Path, PathBuf};

use super::schema::OPTIONS;
use super::*;

fn vars(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn write(dir: &Path, text: &str) -> PathBuf {
    let p = dir.join("tipseal.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn no_admin(_: &Path) -> Result<crate::domain::KeyId, String> {
    Err("no admin keys in this test".into())
}

#[test]
fn no_file_and_no_environment_gives_the_defaults() {
    let c = Config::load(None, vars(&[])).unwrap();
    assert_eq!(c, Config::default());
    let s = c.to_settings(&no_admin).unwrap();
    let d = crate::http::ServerSettings::new(DEFAULT_LISTEN.parse().unwrap(), DEFAULT_DATA);
    assert_eq!(s.listen, d.listen);
    assert_eq!(s.max_body_bytes, d.max_body_bytes);
    assert_eq!(s.rate, d.rate);
    assert_eq!(s.notice_interval, d.notice_interval);
    assert!(!s.log_witness_requests);
}

#[test]
fn the_example_file_lists_every_option_with_its_default() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/tipseal.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let c = Config::load(Some(&path), vars(&[])).unwrap();
    assert_eq!(
        c,
        Config::default(),
        "deploy/tipseal.toml must hold the defaults"
    );
    for o in OPTIONS {
        // Options without a default (keyring, onion, …) are there commented out.
        let set = format!("\n{} = ", o.key);
        let shown = format!("\n# {} = ", o.key);
        assert!(
            text.contains(&set) || text.contains(&shown),
            "deploy/tipseal.toml does not show {}.{}",
            o.section,
            o.key
        );
    }
}

#[test]
fn the_option_list_matches_the_struct() {
    // Every option with a value in the defaults is listed, and every listed option
    // deserialises into the struct.
    let table: toml::Table = toml::from_str(&Config::default().to_toml()).unwrap();
    let mut listed = 0;
    for (section, body) in &table {
        for key in body.as_table().unwrap().keys() {
            assert!(
                schema::find(section, key).is_some(),
                "{section}.{key} is not listed"
            );
            listed += 1;
        }
    }
    let optional = ["keyring", "onion", "org_name", "safety_contact"];
    assert_eq!(listed + optional.len(), OPTIONS.len());
    for key in optional {
        assert!(OPTIONS.iter().any(|o| o.key == key));
    }
}

#[test]
fn an_unknown_option_is_refused_naming_it_and_the_real_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[server]\nlistn = \"127.0.0.1:9\"\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(e.contains("unknown option server.listn"), "{e}");
    assert!(e.contains("listen"), "{e}");
    assert!(e.contains(&p.display().to_string()), "{e}");
}

#[test]
fn an_unknown_section_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[retentoin]\nclosed_tip_days = 30\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(e.contains("unknown section [retentoin]"), "{e}");
    assert!(
        e.contains("[retention]"),
        "the real sections are named: {e}"
    );
}

#[test]
fn a_value_of_the_wrong_kind_is_refused_naming_the_option() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[limits]\nmax_body_bytes = \"big\"\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(
        e.contains("limits.max_body_bytes takes a whole number"),
        "{e}"
    );
    let p = write(dir.path(), "[log]\nwitness_requests = \"yes\"\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(
        e.contains("log.witness_requests takes true or false"),
        "{e}"
    );
}

#[test]
fn broken_toml_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[server\nlisten = 1\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(e.contains("was refused"), "{e}");
    assert!(e.contains("tipseal.toml"), "{e}");
}

#[test]
fn an_invalid_value_is_refused_at_start_naming_the_option() {
    let cases = [
        ("[rate]\nintake = \"fast\"\n", "rate.intake"),
        ("[page]\nexit_url = \"ftp://x\"\n", "page.exit_url"),
        (
            "[server]\nreply_retention = \"forever\"\n",
            "server.reply_retention",
        ),
        (
            "[limits]\nbody_timeout_secs = 0\n",
            "limits.body_timeout_secs",
        ),
        ("[page]\norg_name = \"   \"\n", "page.org_name"),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (text, option) in cases {
        let p = write(dir.path(), text);
        let c = Config::load(Some(&p), vars(&[])).unwrap();
        let e = c.to_settings(&no_admin).unwrap_err().to_string();
        assert!(
            e.contains(&format!("the option {option} (")) && e.contains("is invalid"),
            "{e}"
        );
    }
}

#[test]
fn the_environment_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "[server]\nlisten = \"127.0.0.1:1111\"\nworkers = 3\n[log]\nwitness_requests = true\n",
    );
    let c = Config::load(
        Some(&p),
        vars(&[
            ("TIPSEAL_SERVER_LISTEN", "unix:/run/tipseal/tipseal.sock"),
            ("TIPSEAL_LOG_WITNESS_REQUESTS", "false"),
            ("TIPSEAL_SERVER_ADMIN_PUB", "/a.pub, /b.pub"),
            ("TIPSEAL_LOG", "debug"),
            ("TIPSEAL_PASSPHRASE", "not an option"),
        ]),
    )
    .unwrap();
    assert_eq!(c.server.listen, "unix:/run/tipseal/tipseal.sock");
    assert_eq!(
        c.server.workers, 3,
        "what the environment does not set stays"
    );
    assert!(!c.log.witness_requests);
    assert_eq!(
        c.server.admin_pub,
        vec![PathBuf::from("/a.pub"), PathBuf::from("/b.pub")]
    );
}

#[test]
fn a_misspelt_or_malformed_environment_override_is_refused_naming_the_variable() {
    let e = Config::load(None, vars(&[("TIPSEAL_SERVER_LISTN", "x")])).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("TIPSEAL_SERVER_LISTN names no option"),
        "{text}"
    );
    assert!(text.contains("TIPSEAL_SERVER_LISTEN"), "{text}");
    let e = Config::load(None, vars(&[("TIPSEAL_SERVER_WORKERS", "two")])).unwrap_err();
    assert!(e
        .to_string()
        .contains("TIPSEAL_SERVER_WORKERS must be a whole number"));
    assert!(!e.to_string().contains("two"), "a value is never echoed");
}

#[test]
fn the_retention_table_reaches_the_server_settings() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "[retention]\nunread_reply_days = 7\n");
    let c = Config::load(
        Some(&p),
        vars(&[("TIPSEAL_RETENTION_SCHEDULE_MINUTES", "5")]),
    )
    .unwrap();
    let s = c.to_settings(&no_admin).unwrap();
    assert_eq!(s.retention.unread_reply_days, 7);
    assert_eq!(s.retention.schedule_minutes, 5);
    assert_eq!(
        s.retention.closed_tip_days,
        RetentionPolicy::default().closed_tip_days
    );
    let p = write(dir.path(), "[retention]\nclosed_tips_days = 7\n");
    let e = Config::load(Some(&p), vars(&[])).unwrap_err().to_string();
    assert!(
        e.contains("unknown option retention.closed_tips_days"),
        "{e}"
    );
}

#[test]
fn print_config_round_trips() {
    let mut c = Config::default();
    c.retention.max_tip_age_days = 365;
    c.server.keyring = Some("/etc/tipseal/keyring.json".into());
    c.page.org_name = Some("Example".into());
    let back: Config = toml::from_str(&c.to_toml()).unwrap();
    assert_eq!(back, c);
}
