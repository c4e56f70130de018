//! Text hygiene for strings that come from outside (AWS, config, runbook files, journals):
//! they reach a terminal. One rule for what is unsafe, used by every output path: the text
//! renderers, the CLI's writers (`sanitize_block`), JSON output (`escape_json`), the TUI.

use std::borrow::Cow;

/// Characters that can move the cursor, recolour or clear the screen, reorder what is shown
/// (bidirectional overrides such as U+202E) or break a line: C0 and C1 controls, DEL, the
/// bidi embedding/override/isolate marks, and the Unicode line and paragraph separators.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// One line of untrusted text: every unsafe character becomes U+FFFD.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    replace_unsafe(text, |_| false)
}

/// A block of text (a report, a plan): newlines and tabs stay, every other unsafe character
/// becomes U+FFFD.
pub fn sanitize_block(text: &str) -> Cow<'_, str> {
    replace_unsafe(text, |c| c == '\n' || c == '\t')
}

fn replace_unsafe(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if is_unsafe(c) && !keep(c) {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// Serialized JSON with every unsafe character written as a `\uXXXX` escape: the data is
/// kept (a JSON reader gets the same strings back) but nothing reaches a terminal raw. Raw
/// non-ASCII characters only occur inside JSON strings, so escaping them is always valid;
/// the newlines of pretty-printed JSON are structure and stay.
pub fn escape_json(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c) && c != '\n') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if is_unsafe(c) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A name safe as one path component: letters, digits, `.`, `_`, `-`; anything else becomes
/// `_`, a leading dot too, and it is cut at 64 characters. Never empty.
pub fn safe_component(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    if safe.is_empty() {
        safe.push('_');
    }
    safe
}

/// Whether `id` is a run id drtui could have made: one safe path component.
pub fn is_safe_component(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && safe_component(id) == id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_never_leave_their_directory() {
        assert_eq!(safe_component("../../../../tmp/x"), "_._.._.._.._tmp_x");
        assert_eq!(safe_component(".hidden"), "_hidden");
        assert_eq!(safe_component(""), "_");
        assert_eq!(safe_component("failover"), "failover");
        assert!(!is_safe_component("../x"));
        assert!(!is_safe_component("a/b"));
        assert!(is_safe_component("failover-20261125T134236Z-3937"));
    }

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(sanitize("ok name"), "ok name");
        assert_eq!(
            sanitize("a\x1b[2Jb\nc\u{9b}d"),
            "a\u{fffd}[2Jb\u{fffd}c\u{fffd}d"
        );
        assert_eq!(
            sanitize("evil\u{202e}txt.exe\x7f"),
            "evil\u{fffd}txt.exe\u{fffd}"
        );
        assert_eq!(
            sanitize_block("a\n\tb\x1b]0;x\x07"),
            "a\n\tb\u{fffd}]0;x\u{fffd}"
        );
    }

    #[test]
    fn json_keeps_the_data_and_escapes_the_controls() {
        let value = serde_json::json!({ "name": "alarm\u{202e}\u{9b}[31m\x7fx" });
        let pretty = serde_json::to_string_pretty(&value).expect("json");
        let escaped = escape_json(&pretty);
        assert!(
            !escaped.chars().any(|c| is_unsafe(c) && c != '\n'),
            "{escaped}"
        );
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("valid JSON");
        assert_eq!(back, value);
    }
}
