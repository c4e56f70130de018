//! Text hygiene for strings that come from outside (AWS, config): they reach a terminal.
//! Every renderer passes untrusted text through `sanitize` before it is printed or drawn.

use std::borrow::Cow;

/// Replaces control characters (escape sequences, newlines, bells) with U+FFFD so a hostile
/// or broken string cannot move the cursor, recolour the screen or break a line.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if text.chars().any(char::is_control) {
        Cow::Owned(
            text.chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_never_pass() {
        assert_eq!(sanitize("ok name"), "ok name");
        assert_eq!(
            sanitize("a\x1b[2Jb\nc\u{9b}d"),
            "a\u{fffd}[2Jb\u{fffd}c\u{fffd}d"
        );
    }
}
