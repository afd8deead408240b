//! The API's one rule for an e-mail address: something before the one `@`, a dot somewhere
//! after it, and no whitespace or control character anywhere. Deliberately loose (the address
//! is proven by the mail it receives), and stated twice in the same terms: as [`is_email`] for
//! the handlers and as [`EMAIL_PATTERN`], the `pattern` the document declares, written with
//! `\uXXXX` escapes only so that Rust's, Python's and JavaScript's regular expressions read it
//! alike (`\s` differs between them).

/// The `pattern` the document declares for every e-mail property of a request (`crate::api`
/// adds it; the handlers check [`is_email`], and the test below keeps the two equal).
pub const EMAIL_PATTERN: &str = r"^[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+@[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\.[^@\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$";

/// Whether `s` is an e-mail address by the API's rule (see the module).
pub fn is_email(s: &str) -> bool {
    !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && s.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.contains('@')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pattern_and_the_function_agree() {
        let re = regex::Regex::new(EMAIL_PATTERN).expect("pattern");
        for s in [
            "a@b.c",
            "chief@alpine-flight.example",
            "a@b@c.d",
            "a@b.c@d",
            "@b.c",
            "a@bc",
            "a b@c.d",
            "a@b.c\u{85}",
            "a\u{3000}@b.c",
            "a\u{a0}@b.c",
            "a\u{0}@b.c",
            "a\u{9f}@b.c",
            "ü@ö.ä",
            "a@.",
            "",
        ] {
            assert_eq!(re.is_match(s), is_email(s), "{s:?}");
        }
        // Every White_Space and control character is refused by both.
        for c in (0..=0x3000u32).filter_map(char::from_u32) {
            let s = format!("a{c}@b.c");
            assert_eq!(re.is_match(&s), is_email(&s), "U+{:04X}", c as u32);
        }
    }
}
