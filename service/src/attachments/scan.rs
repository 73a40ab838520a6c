//! The scan hook: a command the operator names (`clamdscan -`, say) reads every upload on its
//! standard input while it is being stored, and its exit status decides: zero takes the file,
//! anything else refuses it.

use std::io;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};

/// How long a scanner may take to read a piece, or after the last byte to decide, before the
/// upload is refused as unscanned.
const VERDICT_WITHIN: Duration = Duration::from_secs(60);

/// The command line, split on white space (no shell: nothing in it is interpreted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanner {
    program: String,
    args: Vec<String>,
}

impl Scanner {
    /// `None` for a blank command line.
    pub fn parse(command_line: &str) -> Option<Scanner> {
        let mut words = command_line.split_whitespace().map(str::to_string);
        let program = words.next()?;
        Some(Scanner {
            program,
            args: words.collect(),
        })
    }

    pub fn command_line(&self) -> String {
        std::iter::once(self.program.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(super) fn start(&self) -> io::Result<Scan> {
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let stdin = child.stdin.take();
        Ok(Scan { child, stdin })
    }
}

/// One upload being scanned.
pub(super) struct Scan {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// What the scanner said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// Its exit status and the first line it wrote to standard error.
    Refused {
        status: String,
        reason: String,
    },
}

impl Scan {
    pub(super) async fn feed(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Ok(());
        };
        // A scanner that stops reading would hold the upload for ever: it has as long to take
        // each piece as it has for its verdict.
        let written = tokio::time::timeout(VERDICT_WITHIN, stdin.write_all(bytes))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "the scanner stopped reading"))?;
        match written {
            // A scanner may decide before it has read everything: its status will say.
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
                self.stdin = None;
                Ok(())
            }
            other => other,
        }
    }

    pub(super) async fn verdict(mut self) -> io::Result<Verdict> {
        if let Some(mut stdin) = self.stdin.take() {
            // Closing its input tells the scanner the file is complete.
            let _ = stdin.shutdown().await;
        }
        let output = tokio::time::timeout(VERDICT_WITHIN, self.child.wait_with_output())
            .await
            .map_err(|_| {
                io::Error::new(io::ErrorKind::TimedOut, "the scanner gave no verdict")
            })??;
        if output.status.success() {
            return Ok(Verdict::Clean);
        }
        let reason = String::from_utf8_lossy(&output.stderr)
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(200)
            .collect();
        Ok(Verdict::Refused {
            status: output.status.to_string(),
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_exit_status_decides() {
        let clean = Scanner::parse("cat").unwrap();
        let mut scan = clean.start().unwrap();
        scan.feed(b"harmless").await.unwrap();
        assert_eq!(scan.verdict().await.unwrap(), Verdict::Clean);

        let grep = Scanner::parse("grep -qv EICAR").unwrap();
        let mut scan = grep.start().unwrap();
        scan.feed(b"EICAR\n").await.unwrap();
        assert!(matches!(
            scan.verdict().await.unwrap(),
            Verdict::Refused { .. }
        ));
    }

    #[test]
    fn a_blank_command_line_is_no_scanner() {
        assert_eq!(Scanner::parse("  "), None);
        assert_eq!(
            Scanner::parse(" clamdscan  - ").unwrap().command_line(),
            "clamdscan -"
        );
    }
}
