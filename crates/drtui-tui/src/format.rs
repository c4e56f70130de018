//! Short human forms of numbers and durations for a cramped screen.
//! Pure functions: the same value always renders the same text (snapshot tests rely on it).

use std::time::Duration;

/// "4s", "2m05s", "3h12m", "12d".
pub fn age(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m{:02}s", secs / 60, secs % 60),
        3_600..86_400 => format!("{}h{:02}m", secs / 3_600, (secs % 3_600) / 60),
        _ => format!("{}d", secs / 86_400),
    }
}

pub fn pct(value: Option<f64>) -> String {
    match value {
        Some(value) if value >= 10.0 => format!("{value:.0}%"),
        Some(value) => format!("{value:.2}%"),
        None => "?".to_owned(),
    }
}

pub fn count(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |value| format!("{value:.0}"))
}

pub fn millis(value: Option<f64>) -> String {
    value.map_or_else(|| "?".to_owned(), |value| format!("{value:.0}ms"))
}

/// Replication lag, compact: "220ms", "31.6s", "5m00s".
pub fn lag(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms < 60_000.0 && ms % 1000.0 == 0.0 {
        format!("{:.0}s", ms / 1000.0)
    } else if ms < 60_000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else {
        age(Duration::from_millis(ms as u64))
    }
}

/// Cuts `text` to `width` characters, marking the cut with an ellipsis.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    if width == 0 {
        return String::new();
    }
    let mut cut: String = text.chars().take(width - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_and_truncation() {
        assert_eq!(age(Duration::from_secs(4)), "4s");
        assert_eq!(age(Duration::from_secs(125)), "2m05s");
        assert_eq!(age(Duration::from_secs(3 * 3600 + 720)), "3h12m");
        assert_eq!(age(Duration::from_secs(12 * 86_400 + 5)), "12d");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(lag(220.4), "220ms");
        assert_eq!(lag(31_600.0), "31.6s");
        assert_eq!(lag(10_000.0), "10s");
        assert_eq!(lag(300_000.0), "5m00s");
        assert_eq!(truncate("abc", 4), "abc");
    }
}

/// `name` without the `prefix` every row shares (and the separator after it), so the part
/// that tells rows apart shows first; the whole name when it does not start with it.
pub fn without_prefix<'a>(name: &'a str, prefix: &str) -> &'a str {
    if prefix.is_empty() {
        return name;
    }
    name.strip_prefix(prefix)
        .map(|rest| rest.trim_start_matches(['-', '_', '/', '.']))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(name)
}

/// The longest prefix, ending at a `-`, that every name shares ("PaymentDR-" of
/// "PaymentDR-Vpc-primary" and "PaymentDR-Api-primary"); empty with fewer than two names.
pub fn shared_prefix<'a>(names: &[&'a str]) -> &'a str {
    let [first, rest @ ..] = names else {
        return "";
    };
    if rest.is_empty() {
        return "";
    }
    let mut end = first.len();
    for name in rest {
        end = end.min(
            first
                .bytes()
                .zip(name.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..end].rfind('-').map_or("", |dash| &first[..=dash])
}

#[cfg(test)]
mod prefix_tests {
    use super::*;

    #[test]
    fn rows_drop_what_they_all_share() {
        assert_eq!(
            without_prefix("PaymentDR-demo-us-east-1-api-5xx-rate", "PaymentDR-demo"),
            "us-east-1-api-5xx-rate"
        );
        assert_eq!(
            without_prefix("other-alarm", "PaymentDR-demo"),
            "other-alarm"
        );
        assert_eq!(
            shared_prefix(&["PaymentDR-Vpc-primary-demo", "PaymentDR-Api-primary-demo"]),
            "PaymentDR-"
        );
        assert_eq!(shared_prefix(&["only-one"]), "");
    }
}

/// A source as the screen names it: `us-east-1 aurora`, `global_cluster`.
pub fn source_label(
    pair: &drtui_core::config::RegionPair,
    source: drtui_core::model::Source,
) -> String {
    match source.role() {
        Some(role) => format!("{} {}", pair.region(role), source.name()),
        None => source.name().to_owned(),
    }
}
