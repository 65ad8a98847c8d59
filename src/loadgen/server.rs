//! The server under test as a separate process: `tipseal serve` (this very executable)
//! on a free loopback port, with rate limits off, and a sampler of its memory.
//!
//! A separate process, so the load generator's threads and allocations are not counted
//! in the server's memory and do not share its runtime. The child is killed when the
//! handle drops. Its log goes to a file in the run's directory, read only to explain a
//! failed start.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::LoadgenError;

/// How long the server may take to answer its first health check.
const START_TIMEOUT: Duration = Duration::from_secs(600);
/// How often memory is sampled during a run.
pub const RSS_SAMPLE_EVERY: Duration = Duration::from_millis(100);

/// A running `tipseal serve`, killed on drop.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    /// Time from spawning the process to its first `200` on `/api/v1/health`.
    pub startup: Duration,
    log: PathBuf,
}

impl ServerProcess {
    /// Spawns `serve` on `data_dir` with `keyring`, and waits for its health check.
    pub fn start(data_dir: &Path, keyring: &Path, log: PathBuf) -> Result<Self, LoadgenError> {
        // `/proc/self/exe` still runs this very build after `cargo build` replaced the
        // file on disk (a long run outlives a rebuild); `current_exe()` names the path,
        // which then holds another build or nothing.
        let proc_exe = Path::new("/proc/self/exe");
        let exe = if proc_exe.exists() {
            proc_exe.to_path_buf()
        } else {
            std::env::current_exe()
                .map_err(|e| LoadgenError::Io("this executable", PathBuf::new(), e))?
        };
        // A free port: bind port 0, note it, let it go. Another process could take it in
        // between; the start then fails with a clear message rather than measuring it.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| LoadgenError::Io("a loopback port", PathBuf::new(), e))?
            .port();
        let log_file = std::fs::File::create(&log)
            .map_err(|e| LoadgenError::Io("the server's log", log.clone(), e))?;
        let started = Instant::now();
        let child = Command::new(exe)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data")
            .arg(data_dir)
            .arg("--keyring")
            .arg(keyring)
            // Raw throughput: the anonymous budgets would measure themselves.
            .args(["--rate-intake", "off", "--rate-reads", "off"])
            .args(["--rate-staff", "off", "--rate-mailbox", "off"])
            .env("TIPSEAL_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log_file))
            .spawn()
            .map_err(|e| LoadgenError::Io("tipseal serve", PathBuf::from("serve"), e))?;
        let mut server = ServerProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
            startup: Duration::ZERO,
            log,
        };
        server.startup = server.wait_healthy(started)?;
        Ok(server)
    }

    fn wait_healthy(&mut self, started: Instant) -> Result<Duration, LoadgenError> {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        let health = format!("{}/api/v1/health", self.url);
        loop {
            if let Ok(r) = agent.get(&health).call() {
                if r.status() == 200 {
                    return Ok(started.elapsed());
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.failed(format!("it exited ({status})")));
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(self.failed(format!(
                    "no 200 on /api/v1/health within {} s",
                    START_TIMEOUT.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn failed(&self, why: String) -> LoadgenError {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        LoadgenError::ServerStart(format!("{why}; its log ends:\n{}", tail.join("\n")))
    }

    /// The process id, for memory sampling.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Resident and peak memory of a process, in KiB, from `/proc/PID/status`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rss {
    /// `VmRSS`: resident now.
    pub now_kib: u64,
    /// `VmHWM`: the peak resident size since the process started.
    pub peak_kib: u64,
    /// `RssAnon`: the part of `now_kib` that is the process's own memory (heap, stacks).
    pub anon_kib: Option<u64>,
    /// `RssFile`: the part of `now_kib` mapped from files (the executable and its
    /// libraries): clean pages the kernel may drop and read again, shared with other
    /// processes running the same files.
    pub file_kib: Option<u64>,
}

/// Reads `VmRSS`, `VmHWM`, `RssAnon` and `RssFile` of `pid` (one read of the file, so
/// the parts add up to at most `VmRSS`); `None` once the process is gone (or off Linux).
pub fn rss(pid: u32) -> Option<Rss> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    };
    Some(Rss {
        now_kib: field("VmRSS:")?,
        peak_kib: field("VmHWM:")?,
        anon_kib: field("RssAnon:"),
        file_kib: field("RssFile:"),
    })
}

/// Samples a process's resident memory every [`RSS_SAMPLE_EVERY`] until stopped.
pub struct RssSampler {
    stop: Arc<AtomicBool>,
    peak: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl RssSampler {
    /// Starts sampling `pid`.
    pub fn start(pid: u32) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(AtomicU64::new(0));
        let (s, p) = (Arc::clone(&stop), Arc::clone(&peak));
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(r) = rss(pid) {
                    p.fetch_max(r.now_kib.max(r.peak_kib), Ordering::Relaxed);
                }
                std::thread::sleep(RSS_SAMPLE_EVERY);
            }
        });
        Self {
            stop,
            peak,
            thread: Some(thread),
        }
    }

    /// Stops sampling; the highest resident size seen (VmHWM included), in KiB.
    pub fn stop(mut self) -> u64 {
        self.halt();
        self.peak.load(Ordering::Relaxed)
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.halt();
    }
}
