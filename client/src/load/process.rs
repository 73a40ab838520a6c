//! What a run reads of the server's and PostgreSQL's processes on this machine, from /proc
//! (Linux): resident memory and CPU time.

/// Resident memory of a process, in KiB.
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// CPU time (user + system) of a process so far; ticks are 1/100 s on Linux.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are fixed.
    let rest: Vec<&str> = stat.rsplit_once(") ")?.1.split_whitespace().collect();
    let ticks = |n: usize| rest.get(n).and_then(|t| t.parse::<u64>().ok());
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
}

/// CPU time of every PostgreSQL process on this machine (`None` if there is none): the server
/// and its backends, which is where the database's share of a request goes.
fn postgres_cpu_seconds() -> Option<f64> {
    let mut total = None;
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() == "postgres" {
            if let Some(cpu) = cpu_seconds(pid) {
                *total.get_or_insert(0.0) += cpu;
            }
        }
    }
    total
}

/// The CPU time the server (when its process id is known) and PostgreSQL have used so far.
#[derive(Debug, Clone, Copy)]
pub struct Cpu {
    server: Option<f64>,
    postgres: Option<f64>,
}

impl Cpu {
    pub fn now(server_pid: Option<u32>) -> Cpu {
        Cpu {
            server: server_pid.and_then(cpu_seconds),
            postgres: postgres_cpu_seconds(),
        }
    }

    /// The CPU used since `self`, per `unit` of work done in `wall` seconds: a line of the
    /// report for the server and one for PostgreSQL.
    pub fn lines_since(&self, later: Cpu, wall: f64, units: usize, unit: &str) -> [String; 2] {
        let line = |what: &str, before: Option<f64>, after: Option<f64>| match (before, after) {
            (Some(before), Some(after)) => {
                let used = after - before;
                format!(
                    "{what} CPU: {used:.2} s in {wall:.1} s = {:.2} ms per {unit}",
                    used * 1000.0 / units.max(1) as f64
                )
            }
            _ => format!("{what} CPU: not measured"),
        };
        [
            line("server", self.server, later.server),
            line("PostgreSQL", self.postgres, later.postgres),
        ]
    }
}
