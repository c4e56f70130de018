//! The commands drtui prints as next steps (run this, resume that, break the lock): one place
//! that spells them, so each names the pair the way the command line reached it and runs as
//! printed, from any shell.

use std::path::PathBuf;

/// How the command line reached a pair beyond its name: every printed command repeats it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    /// `--config FILE`: the file named on the command line (or by `$DRTUI_CONFIG`).
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub endpoint_url: Option<String>,
    /// The demo's `--scenario` names and `--seed`.
    pub scenario: Vec<String>,
    pub seed: Option<u64>,
}

impl Reach {
    /// The flags, each with a leading space (empty when the pair was reached by name alone);
    /// AWS's and the demo's only for the commands that take them.
    fn flags(&self, takes: Takes) -> String {
        let mut flags = String::new();
        let mut push = |flag: &str, value: &str| {
            flags.push_str(&format!(" {flag} {}", shell_word(value)));
        };
        if let Some(config) = &self.config {
            push("--config", &config.to_string_lossy());
        }
        if let (true, Some(profile)) = (takes.aws, &self.profile) {
            push("--profile", profile);
        }
        if let (true, Some(url)) = (takes.aws, &self.endpoint_url) {
            push("--endpoint-url", url);
        }
        if takes.demo && !self.scenario.is_empty() {
            push("--scenario", &self.scenario.join(","));
        }
        if let (true, Some(seed)) = (takes.demo, self.seed) {
            push("--seed", &seed.to_string());
        }
        flags
    }
}

/// Which of the reach flags a command takes (`--config` goes everywhere).
#[derive(Clone, Copy)]
struct Takes {
    aws: bool,
    demo: bool,
}

const EVERY_FLAG: Takes = Takes {
    aws: true,
    demo: true,
};

/// The printed commands of one pair.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PairCommands {
    pub pair: String,
    pub reach: Reach,
}

impl PairCommands {
    /// `drtui run RUNBOOK --region-pair NAME` and the reach flags.
    pub fn run(&self, runbook: &str) -> String {
        self.on_pair(&format!("run {}", shell_word(runbook)), EVERY_FLAG)
    }

    /// `drtui status --region-pair NAME` and the reach flags.
    pub fn status(&self) -> String {
        self.on_pair("status", EVERY_FLAG)
    }

    /// `drtui lock ARGS --region-pair NAME` and the reach flags (`lock` takes no demo flags).
    pub fn lock(&self, args: &str) -> String {
        let takes = Takes {
            aws: true,
            demo: false,
        };
        self.on_pair(&format!("lock {args}"), takes)
    }

    /// `drtui plan RUNBOOK --region-pair NAME` and how the pair was reached (`plan` asks
    /// IAM's simulator whether each call would be allowed).
    pub fn plan(&self, runbook: &str) -> String {
        self.on_pair(&format!("plan {}", shell_word(runbook)), EVERY_FLAG)
    }

    /// `drtui iam policy --region-pair NAME --role ROLE` (it calls nothing: only `--config`).
    pub fn iam_policy(&self, role: &str) -> String {
        let takes = Takes {
            aws: false,
            demo: false,
        };
        let mut command = self.on_pair("iam policy", takes);
        command.push_str(&format!(" --role {}", shell_word(role)));
        command
    }

    fn on_pair(&self, args: &str, takes: Takes) -> String {
        format!(
            "drtui {args} --region-pair {}{}",
            shell_word(&self.pair),
            self.reach.flags(takes)
        )
    }

    /// `drtui resume RUN` (the journal names the pair) and `extra` (`--approve STEP`,
    /// `--as failover`, …) when not empty, then the reach flags.
    pub fn resume(&self, run_id: &str, extra: &str) -> String {
        let extra = if extra.is_empty() {
            String::new()
        } else {
            format!(" {extra}")
        };
        format!(
            "drtui resume {}{extra}{}",
            shell_word(run_id),
            self.reach.flags(EVERY_FLAG)
        )
    }

    /// What to do about the pair while run `run_id` holds it.
    pub fn when_held(&self, run_id: &str) -> String {
        format!(
            "wait for it, resume that run (`{}`), or `{}` if it is gone",
            self.resume(run_id, ""),
            self.lock("break --reason TEXT")
        )
    }
}

/// `word` as one shell word: as is when it holds only characters no shell treats specially,
/// else single-quoted.
pub fn shell_word(word: &str) -> std::borrow::Cow<'_, str> {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:,=@%+".contains(c));
    if plain {
        std::borrow::Cow::Borrowed(word)
    } else {
        std::borrow::Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_repeat_how_the_pair_was_reached() {
        let commands = PairCommands {
            pair: "prod".into(),
            reach: Reach {
                config: Some(PathBuf::from("my configs/drtui.toml")),
                endpoint_url: Some("http://127.0.0.1:5000".into()),
                ..Reach::default()
            },
        };
        assert_eq!(
            commands.run("failover"),
            "drtui run failover --region-pair prod --config 'my configs/drtui.toml' --endpoint-url http://127.0.0.1:5000"
        );
        assert_eq!(
            commands.resume("failover-1", "--approve announce"),
            "drtui resume failover-1 --approve announce --config 'my configs/drtui.toml' --endpoint-url http://127.0.0.1:5000"
        );
        assert_eq!(
            commands.plan("failover"),
            "drtui plan failover --region-pair prod --config 'my configs/drtui.toml' --endpoint-url http://127.0.0.1:5000",
            "plan asks IAM's simulator: the endpoint too"
        );
        assert_eq!(
            commands.iam_policy("operator"),
            "drtui iam policy --region-pair prod --config 'my configs/drtui.toml' --role operator",
            "iam policy calls nothing: no --endpoint-url"
        );
        let demo = PairCommands {
            pair: "demo".into(),
            reach: Reach {
                scenario: vec!["primary-outage".into(), "lag-spike".into()],
                ..Reach::default()
            },
        };
        assert_eq!(
            demo.resume("r", ""),
            "drtui resume r --scenario primary-outage,lag-spike"
        );
        assert_eq!(
            demo.lock("show"),
            "drtui lock show --region-pair demo",
            "lock takes no demo flags"
        );
    }

    #[test]
    fn a_shell_word_survives_the_shell() {
        assert_eq!(shell_word("us-east-1"), "us-east-1");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word("a;rm -rf"), "'a;rm -rf'");
        assert_eq!(shell_word(""), "''");
    }
}
