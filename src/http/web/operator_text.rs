//! Words the operator puts on the witness page (`serve --org-name`,
//! `serve --safety-contact`): parsed once at start, so the page only ever prints text
//! that is short, plain and single-paragraph.
//!
//! Must never: carry markup (templates escape it anyway), control characters, or a
//! length that pushes the form off a phone screen.

/// The longest operator text, in characters: a name or a sentence or two with a phone
/// number or address, which still fits on a phone screen above the form.
pub const MAX_OPERATOR_TEXT_CHARS: usize = 300;

/// Why an operator text is refused; names the flag and says what to change.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OperatorTextError {
    /// Empty or only spaces.
    #[error("{flag} is empty: leave it out to use the default wording")]
    Empty {
        /// The flag concerned.
        flag: &'static str,
    },
    /// Longer than [`MAX_OPERATOR_TEXT_CHARS`].
    #[error("{flag} is longer than {MAX_OPERATOR_TEXT_CHARS} characters: shorten it")]
    TooLong {
        /// The flag concerned.
        flag: &'static str,
    },
    /// Holds a control character (a line break, a tab …).
    #[error("{flag} contains a line break or another control character: write it on one line")]
    Control {
        /// The flag concerned.
        flag: &'static str,
    },
}

/// Trimmed, non-empty, bounded, one-line text shown on the witness page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OperatorText(String);

impl OperatorText {
    /// Parses the value of `flag`.
    pub fn parse(flag: &'static str, value: &str) -> Result<Self, OperatorTextError> {
        let v = value.trim();
        if v.is_empty() {
            return Err(OperatorTextError::Empty { flag });
        }
        if v.chars().count() > MAX_OPERATOR_TEXT_CHARS {
            return Err(OperatorTextError::TooLong { flag });
        }
        if v.chars().any(char::is_control) {
            return Err(OperatorTextError::Control { flag });
        }
        Ok(Self(v.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_trimmed_and_kept() {
        let t = OperatorText::parse("--org-name", "  Walk Free Korea  ").unwrap();
        assert_eq!(t.as_str(), "Walk Free Korea");
    }

    #[test]
    fn empty_long_and_multi_line_texts_are_refused_naming_the_flag() {
        let flag = "--safety-contact";
        assert_eq!(
            OperatorText::parse(flag, "   "),
            Err(OperatorTextError::Empty { flag })
        );
        let long = "x".repeat(MAX_OPERATOR_TEXT_CHARS + 1);
        assert_eq!(
            OperatorText::parse(flag, &long),
            Err(OperatorTextError::TooLong { flag })
        );
        let e = OperatorText::parse(flag, "call\n112").unwrap_err();
        assert_eq!(e, OperatorTextError::Control { flag });
        assert!(e.to_string().contains(flag));
    }
}
