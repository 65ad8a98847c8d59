//! tipseal as a v3 onion service over a real (private) Tor network: Debian's `tor` runs
//! three directory authorities, three relays, a client and the onion service on
//! 127.0.0.1 (`tests/tor_net`); the service is `deploy/torrc` as shipped, only its
//! directory and socket moved into a temp dir, pointing at `tipseal serve --listen
//! unix:…`. A witness submits with the real CLI through the client's SOCKS port
//! (`--proxy socks5h://…`, the server named by its `.onion` name), a reviewer lists and
//! opens the tip the same way, and the tip decrypts as sent. No tor socket is bound to,
//! or connected to, an address outside 127.0.0.0/8.
//!
//! Slow (about a minute) and needs Debian's `tor` package, so it is ignored by a plain
//! `cargo test`: run `scripts/tor-network-test.sh` (CI does), or
//! `cargo test --test tor_network -- --ignored --nocapture`.

mod common;
mod tor_net;

use std::ffi::OsStr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use tempfile::TempDir;
use tor_net::TorNetwork;

/// Where `deploy/torrc` puts the socket and the service's keys on a real server.
const DEPLOY_SOCKET: &str = "unix:/run/tipseal/tipseal.sock";
const DEPLOY_HS_DIR: &str = "/var/lib/tor/tipseal/";
/// Time allowed from the first tor's start to a working onion service (44–65 s measured on a
/// loaded 2-core machine).
const NETWORK_DEADLINE: Duration = Duration::from_secs(240);

/// `deploy/torrc` with the service's directory and socket moved under `root`; every
/// other line as shipped. Panics if the shipped file lacks what the test relies on.
fn deploy_torrc_in(root: &Path, socket: &Path) -> String {
    let shipped = include_str!("../deploy/torrc");
    let (mut dir_seen, mut port_seen) = (false, false);
    let lines: Vec<String> = shipped
        .lines()
        .map(|line| {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("HiddenServiceDir"), Some(DEPLOY_HS_DIR), None) => {
                    dir_seen = true;
                    format!("HiddenServiceDir {}", root.join("hs").display())
                }
                (Some("HiddenServicePort"), Some("80"), Some(DEPLOY_SOCKET)) => {
                    port_seen = true;
                    format!("HiddenServicePort 80 unix:{}", socket.display())
                }
                _ => line.to_owned(),
            }
        })
        .collect();
    assert!(
        dir_seen && port_seen,
        "deploy/torrc has `HiddenServiceDir {DEPLOY_HS_DIR}` and `HiddenServicePort 80 {DEPLOY_SOCKET}`"
    );
    for defence in [
        "HiddenServicePoWDefensesEnabled 1",
        "HiddenServiceMaxStreams ",
        "HiddenServiceMaxStreamsCloseCircuit 1",
    ] {
        assert!(shipped.contains(defence), "deploy/torrc sets {defence}");
    }
    lines.join("\n")
}

/// Every `…Port` a torrc opens is on 127.0.0.1 (or off, or a Unix socket), and the node
/// says it is at 127.0.0.1.
fn assert_loopback_torrc(name: &str, torrc: &str) {
    assert!(torrc.contains("\nAddress 127.0.0.1\n"), "{name}: Address");
    for line in torrc.lines() {
        let mut words = line.split_whitespace();
        let (Some(key), Some(value)) = (words.next(), words.next()) else {
            continue;
        };
        if key == "HiddenServicePort" {
            let target = words.next().unwrap_or(value);
            assert!(target.starts_with("unix:"), "{name}: {line}");
        } else if key.ends_with("Port") {
            assert!(
                value == "0" || value.starts_with("127.0.0.1:"),
                "{name}: {line} is not on loopback"
            );
        }
    }
}

fn tipseal_via_tor(args: &[&OsStr], server: &str, proxy: &str) -> std::process::Output {
    let mut all = args.to_vec();
    all.extend([
        OsStr::new("--server"),
        OsStr::new(server),
        OsStr::new("--proxy"),
        OsStr::new(proxy),
        OsStr::new("--json"),
    ]);
    tipseal_ok(all)
}

#[test]
#[ignore = "starts a private Tor network (about a minute, needs Debian's tor): scripts/tor-network-test.sh"]
fn a_witness_submits_and_a_reviewer_reads_through_an_onion_service_on_a_private_tor_network() {
    let team = setup_team();
    let root = TempDir::new().unwrap();
    let socket = root.path().join("tipseal.sock");
    let server = spawn_unix_server(
        &socket,
        &[OsStr::new("--keyring"), team.keyring.as_os_str()],
    );
    let service = deploy_torrc_in(&root.path().join("onion"), &socket);

    let started = Instant::now();
    let deadline = started + NETWORK_DEADLINE;
    let mut net = TorNetwork::start(root.path(), &service);
    for (name, torrc) in &net.torrcs {
        assert_loopback_torrc(name, torrc);
    }
    net.wait_bootstrapped(deadline);
    let bootstrapped = started.elapsed();
    assert_eq!(net.wait_reachable("/api/v1/health", deadline), 200);
    let reachable = started.elapsed();
    let sockets_up = net.assert_only_loopback_sockets();
    assert!(sockets_up >= 8, "every tor has a socket: {sockets_up}");

    let url = format!("http://{}", net.onion);
    let proxy = format!("socks5h://{}", net.socks);
    let t = Instant::now();
    let submitted = tipseal_via_tor(
        &[
            OsStr::new("submit"),
            OsStr::new("--tip"),
            a_sample().as_os_str(),
            OsStr::new("--no-receipt"),
        ],
        &url,
        &proxy,
    );
    let id = json_stdout(&submitted)["id"]
        .as_str()
        .expect("a tip id")
        .to_owned();
    let submit_took = t.elapsed();

    let t = Instant::now();
    let key = team.reviewer_key.as_os_str();
    let listed = json_stdout(&tipseal_via_tor(
        &[
            OsStr::new("review"),
            OsStr::new("list"),
            OsStr::new("--key"),
            key,
        ],
        &url,
        &proxy,
    ));
    assert_eq!(listed[0]["id"], id.as_str(), "{listed}");
    let shown = json_stdout(&tipseal_via_tor(
        &[
            OsStr::new("review"),
            OsStr::new("show"),
            OsStr::new(&id),
            OsStr::new("--key"),
            key,
        ],
        &url,
        &proxy,
    ));
    assert_eq!(
        shown["tip"],
        read_json(&a_sample()),
        "the tip decrypts as sent"
    );
    let review_took = t.elapsed();
    let sockets_after = net.assert_only_loopback_sockets();

    assert!(
        !server.log_text().contains("ERROR"),
        "{}",
        server.log_text()
    );
    println!(
        "TOR_NETWORK {{\"bootstrapped_s\": {:.1}, \"onion_reachable_s\": {:.1}, \
         \"submit_s\": {:.1}, \"review_list_and_show_s\": {:.1}, \"total_s\": {:.1}, \
         \"tor_sockets_checked\": {}}}",
        bootstrapped.as_secs_f64(),
        reachable.as_secs_f64(),
        submit_took.as_secs_f64(),
        review_took.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        sockets_up + sockets_after
    );
}
