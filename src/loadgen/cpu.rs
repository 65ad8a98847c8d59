//! CPU time of this process and of the server, from `/proc/PID/stat`, so a run shows
//! whether the client or the server spent the machine's cores: a load generator whose
//! own CPU per request rivals the server's is measuring itself.
//!
//! Linux only (`None` elsewhere). It must never be read as wall time.

use std::time::Duration;

/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`): 100 on every Linux ABI.
const USER_HZ: f64 = 100.0;

/// User plus system CPU time of `pid`, or of this process when `None`.
pub fn cpu_time(pid: Option<u32>) -> Option<Duration> {
    let path = match pid {
        Some(p) => format!("/proc/{p}/stat"),
        None => "/proc/self/stat".into(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) may hold spaces; fields after its ')' are fixed.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Fields 14 (utime) and 15 (stime) of the whole line are 12 and 13 after ')'.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(Duration::from_secs_f64((utime + stime) as f64 / USER_HZ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_spent_some_cpu_after_working() {
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        std::hint::black_box(x);
        assert!(cpu_time(None).is_some_and(|t| t > Duration::ZERO));
    }
}
