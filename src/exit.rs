//! drtui's exit codes: one enum that both the process returns and `--help` prints, so the two
//! can never disagree.

/// How drtui ends. Scripts and CI branch on these numbers; they never change meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    Failure = 1,
    Usage = 2,
    Incomplete = 3,
    Gate = 4,
    Locked = 5,
    /// 128 + the signal's number, as shells report a signalled process.
    Hangup = 129,
    Interrupted = 130,
    Terminated = 143,
}

impl Exit {
    pub const ALL: [Exit; 9] = [
        Exit::Ok,
        Exit::Failure,
        Exit::Usage,
        Exit::Incomplete,
        Exit::Gate,
        Exit::Locked,
        Exit::Hangup,
        Exit::Interrupted,
        Exit::Terminated,
    ];

    /// What the code means, for `--help` and the README.
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Failure => "anything else (unexpected failure)",
            Exit::Usage => "bad usage or input (flags, config file, unknown pair, no terminal)",
            Exit::Incomplete => "data incomplete: some source failed or timed out (status)",
            Exit::Gate => "a runbook stopped at a gate nobody approved (run, resume)",
            Exit::Locked => "another run holds the pair's lock (run, resume)",
            Exit::Hangup | Exit::Interrupted | Exit::Terminated => {
                "stopped by SIGHUP / SIGINT / SIGTERM at a safe point, lock released (run, resume)"
            }
        }
    }

    /// The "Exit codes:" block under `--help`.
    pub fn help() -> String {
        Self::help_for(&Exit::ALL)
    }

    /// The block for a command that can end only with `codes`.
    pub fn help_for(codes: &[Exit]) -> String {
        let mut text = String::from("Exit codes:");
        for code in codes {
            text.push_str(&format!("\n  {}  {}", *code as u8, code.meaning()));
        }
        text
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(exit: Exit) -> Self {
        std::process::ExitCode::from(exit as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_lists_every_code_in_order() {
        let help = Exit::help();
        assert!(help.starts_with("Exit codes:\n  0  ok\n  1  anything else"));
        assert!(help.contains("  5  another run holds the pair's lock (run, resume)"));
        assert!(help.ends_with("  143  stopped by SIGHUP / SIGINT / SIGTERM at a safe point, lock released (run, resume)"));
        assert_eq!(help.lines().count(), 10);
    }
}
