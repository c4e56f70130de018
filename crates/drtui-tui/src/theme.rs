//! Colours and symbols. A colour always travels with a symbol or a word, so state is never
//! shown by colour alone, and `--no-color` / `NO_COLOR` lose nothing but colour.

use ratatui::style::{Color, Modifier, Style};

use drtui_core::model::{AlarmState, Freshness};
use drtui_core::readiness::{CheckStatus, Verdict};

/// What a piece of text means; the one mapping from meaning to style.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    /// Unknown, stale or never fetched.
    Unknown,
    Muted,
    Accent,
    Plain,
}

impl Tone {
    pub fn symbol(self) -> &'static str {
        match self {
            Tone::Good => "✔",
            Tone::Warn => "▲",
            Tone::Bad => "✖",
            Tone::Unknown => "?",
            Tone::Muted | Tone::Accent | Tone::Plain => "·",
        }
    }

    pub fn of_check(status: CheckStatus) -> Tone {
        match status {
            CheckStatus::Pass => Tone::Good,
            CheckStatus::Warn => Tone::Warn,
            CheckStatus::Fail => Tone::Bad,
        }
    }

    pub fn of_verdict(verdict: Verdict) -> Tone {
        match verdict {
            Verdict::Ready => Tone::Good,
            Verdict::Degraded => Tone::Warn,
            Verdict::NotReady => Tone::Bad,
        }
    }

    pub fn of_alarm(state: &AlarmState) -> Tone {
        match state {
            AlarmState::Ok => Tone::Good,
            AlarmState::Alarm => Tone::Bad,
            AlarmState::InsufficientData => Tone::Unknown,
        }
    }

    pub fn of_freshness(freshness: Freshness) -> Tone {
        match freshness {
            Freshness::Fresh => Tone::Good,
            Freshness::Pending | Freshness::Stale => Tone::Unknown,
            Freshness::Failed => Tone::Bad,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn style(self, tone: Tone) -> Style {
        if !self.color {
            return match tone {
                Tone::Bad => Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
                Tone::Warn | Tone::Accent => Style::new().add_modifier(Modifier::BOLD),
                Tone::Unknown | Tone::Muted => Style::new().add_modifier(Modifier::DIM),
                Tone::Good | Tone::Plain => Style::new(),
            };
        }
        match tone {
            Tone::Good => Style::new().fg(Color::Green),
            Tone::Warn => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Tone::Bad => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Tone::Unknown => Style::new().fg(Color::Magenta),
            Tone::Muted => Style::new().fg(Color::DarkGray),
            Tone::Accent => Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Tone::Plain => Style::new(),
        }
    }

    pub fn border(self, focused: bool) -> Style {
        if focused {
            self.style(Tone::Accent)
        } else {
            self.style(Tone::Muted)
        }
    }

    /// The pair's environment label: its colour (red unless configured), reversed and bold;
    /// without colour, reversed and bold alone.
    pub fn environment(self, color: Option<drtui_core::config::PairColor>) -> Style {
        use drtui_core::config::PairColor;
        let loud = Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED);
        if !self.color {
            return loud;
        }
        loud.fg(match color.unwrap_or(PairColor::Red) {
            PairColor::Red => Color::Red,
            PairColor::Yellow => Color::Yellow,
            PairColor::Green => Color::Green,
            PairColor::Blue => Color::Blue,
            PairColor::Magenta => Color::Magenta,
            PairColor::Cyan => Color::Cyan,
        })
    }

    /// A menu row's marker and style: `›` and reversed when selected.
    pub fn row(self, selected: bool) -> (&'static str, Style) {
        if selected {
            ("›", self.selected())
        } else {
            (" ", self.style(Tone::Plain))
        }
    }

    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
}
