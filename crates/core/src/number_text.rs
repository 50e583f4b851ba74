//! Numbers to and from text without the standard library's float formatting and parsing,
//! which together cost tens of kilobytes of WebAssembly: printing uses integer arithmetic,
//! parsing reuses serde_json's number reader (already in the page for device payloads).

/// `value` with at most `decimals` decimals (trailing zeros dropped): `42`, `0.31`, `-61`.
/// Values too large for the integer path are printed whole.
pub fn fixed(value: f64, decimals: u32) -> String {
    if !value.is_finite() {
        return "–".into();
    }
    let scale = 10_i64.pow(decimals.min(6));
    let scaled = (value * scale as f64).round();
    if scaled.abs() >= 9.0e15 {
        return format!("{}", value as i64);
    }
    let scaled = scaled as i64;
    let sign = if scaled < 0 { "-" } else { "" };
    let (whole, fraction) = (
        scaled.unsigned_abs() / scale as u64,
        scaled.unsigned_abs() % scale as u64,
    );
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let digits = format!("{fraction:0width$}", width = decimals.min(6) as usize);
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// A number written as text (`" 230.5 "`, `"1e3"`); `None` for anything else or non-finite.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim();
    // serde_json reads JSON numbers only: no leading `+`, no `.5`, no `NaN`.
    let value: f64 = serde_json::from_str(text).ok()?;
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_with_at_most_the_decimals_asked() {
        for (value, decimals, text) in [
            (42.0, 1, "42"),
            (0.31, 2, "0.31"),
            (0.306, 2, "0.31"),
            (12.5, 1, "12.5"),
            (230.04, 0, "230"),
            (-61.0, 0, "-61"),
            (-0.25, 1, "-0.3"),
            (0.1, 2, "0.1"),
            (1e300, 1, "9223372036854775807"),
            (f64::NAN, 1, "–"),
        ] {
            assert_eq!(fixed(value, decimals), text, "{value} {decimals}");
        }
    }

    #[test]
    fn numbers_are_read_from_text_and_nothing_else() {
        assert_eq!(parse_number(" 230.5 "), Some(230.5));
        assert_eq!(parse_number("40"), Some(40.0));
        assert_eq!(parse_number("-1e3"), Some(-1000.0));
        for bad in ["", "NaN", "inf", "1,5", "abc", "1e999"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }
}
