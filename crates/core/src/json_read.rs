//! Small, forgiving readers for JSON payloads from devices: a number may arrive as a string,
//! a path may be written `$.a.b` or `a.b`, and anything unexpected is simply absent.

use serde_json::{Map, Value};

/// Parses a payload as a JSON object; anything else (text, arrays, broken JSON) is `None`.
pub fn parse_object(payload: &[u8]) -> Option<Map<String, Value>> {
    match serde_json::from_slice(payload).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A number, also when written as a string (`"230.1"`); never NaN or infinite.
pub fn number(value: &Value) -> Option<f64> {
    let x = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => crate::number_text::parse_number(s)?,
        _ => return None,
    };
    x.is_finite().then_some(x)
}

/// The number under `key` in `object`.
pub fn number_at(object: &Map<String, Value>, key: &str) -> Option<f64> {
    object.get(key).and_then(number)
}

/// Follows a path such as `POWER`, `$.POWER`, `relay.on` or `relays[0].ison` into `value`.
pub fn at_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let path = path.trim();
    let path = path
        .strip_prefix("$.")
        .or_else(|| path.strip_prefix('$'))
        .unwrap_or(path);
    let mut current = value;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (name, mut rest) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            current = current.get(name)?;
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let (index, after) = inner.split_once(']')?;
            current = current.get(index.trim().parse::<usize>().ok()?)?;
            rest = after;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_read_from_numbers_and_strings_only() {
        assert_eq!(number(&json!(42)), Some(42.0));
        assert_eq!(number(&json!(" 230.5 ")), Some(230.5));
        assert_eq!(number(&json!("NaN")), None);
        assert_eq!(number(&json!(null)), None);
        assert_eq!(number(&json!([1])), None);
    }

    #[test]
    fn paths_in_every_written_form_reach_the_value() {
        let value = json!({"POWER":"ON","relay":{"on":true},"relays":[{"ison":false}]});
        assert_eq!(at_path(&value, "POWER"), Some(&json!("ON")));
        assert_eq!(at_path(&value, "$.relay.on"), Some(&json!(true)));
        assert_eq!(at_path(&value, "relays[0].ison"), Some(&json!(false)));
        assert_eq!(at_path(&value, "relays[9].ison"), None);
        assert_eq!(at_path(&value, "relays[x]"), None);
        assert_eq!(at_path(&value, "missing.deeper"), None);
    }

    #[test]
    fn only_objects_are_objects() {
        assert!(parse_object(br#"{"a":1}"#).is_some());
        assert!(parse_object(b"[1]").is_none());
        assert!(parse_object(b"ON").is_none());
        assert!(parse_object(&[0xff, 0xfe]).is_none());
    }
}
