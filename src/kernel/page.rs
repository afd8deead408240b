//! Keyset pagination (API.md §1): `?limit=` (default 50, 1..=200) and an opaque `?cursor=`.
//!
//! A list handler takes `limit: Query<Limit>` (validated and defaulted while the request is
//! parsed, its range declared in the OpenAPI document) and `cursor: Query<Option<String>>`,
//! decodes the cursor with the decoder of its ordering ([`decode_id_cursor`],
//! [`decode_time_cursor`], or [`of_list`] for short lists kept in code), fetches `limit + 1`
//! rows and lets [`finish`] split off the extra row into `next_cursor`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// A `cursor` that no list of this API issued (the host answers `422` naming `cursor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidCursor;

/// The `limit` query parameter: absent → 50; outside 1..=200 → `422` naming `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(i64);

impl Limit {
    /// The page size.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self(DEFAULT_LIMIT)
    }
}

/// The OpenAPI side of [`Limit`], in a module of its own: `Type` has an `is_empty` method that
/// would shadow `str::is_empty` in the cursor decoders below if it were in scope there.
mod param {
    use std::borrow::Cow;

    use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
    use poem_openapi::types::{ParseError, ParseFromParameter, ParseResult, Type};

    use super::{DEFAULT_LIMIT, Limit, MAX_LIMIT};

    impl Type for Limit {
        const IS_REQUIRED: bool = false;
        type RawValueType = i64;
        type RawElementValueType = i64;

        fn name() -> Cow<'static, str> {
            "page_limit".into()
        }

        fn schema_ref() -> MetaSchemaRef {
            MetaSchemaRef::Inline(Box::new(MetaSchema {
                minimum: Some(1.0),
                maximum: Some(MAX_LIMIT as f64),
                default: Some(DEFAULT_LIMIT.into()),
                ..MetaSchema::new_with_format("integer", "int64")
            }))
        }

        fn as_raw_value(&self) -> Option<&i64> {
            Some(&self.0)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    }

    impl ParseFromParameter for Limit {
        fn parse_from_parameter(value: &str) -> ParseResult<Self> {
            let n: i64 = value
                .parse()
                .map_err(|_| ParseError::custom("must be an integer"))?;
            if (1..=MAX_LIMIT).contains(&n) {
                Ok(Self(n))
            } else {
                Err(ParseError::custom(format!(
                    "must be between 1 and {MAX_LIMIT}"
                )))
            }
        }

        fn parse_from_parameters<I: IntoIterator<Item = A>, A: AsRef<str>>(
            iter: I,
        ) -> ParseResult<Self> {
            match iter.into_iter().next() {
                Some(value) => Self::parse_from_parameter(value.as_ref()),
                None => Ok(Self::default()),
            }
        }
    }
}

/// A cursor naming the last id of the previous page (ids are UUIDv7, so id order is time order).
pub fn encode_id_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_id_cursor(raw: Option<&str>) -> Result<Option<Uuid>, InvalidCursor> {
    // An empty `cursor=` is no cursor: the first page.
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| InvalidCursor)?;
    Uuid::from_slice(&bytes)
        .map(Some)
        .map_err(|_| InvalidCursor)
}

/// A cursor for lists ordered by a time and then the id: (time, id) of the last row.
pub fn encode_time_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&at.timestamp_micros().to_be_bytes());
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode_time_cursor(
    raw: Option<&str>,
) -> Result<Option<(DateTime<Utc>, Uuid)>, InvalidCursor> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || InvalidCursor;
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
    if bytes.len() != 24 {
        return Err(invalid());
    }
    let (micros, id) = bytes.split_at(8);
    let micros = i64::from_be_bytes(micros.try_into().map_err(|_| invalid())?);
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
    Ok(Some((at, Uuid::from_slice(id).map_err(|_| invalid())?)))
}

/// Like [`finish`] for lists ordered by (time, id).
pub fn finish_by_time<T, I: Into<Uuid>>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (DateTime<Utc>, I),
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|r| {
            let (at, id) = key(r);
            encode_time_cursor(at, id.into())
        });
        (rows, next)
    } else {
        (rows, None)
    }
}

/// A case-insensitive "contains" pattern for `ILIKE` from a user's search text: `%`, `_` and `\`
/// are matched literally.
pub fn contains_pattern(search: &str) -> String {
    let escaped = search
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of a short list kept in code (plans, permissions, feature flags), in its fixed
/// order: the cursor names the last item of the previous page by its key, so the walk is the
/// same as any keyset page (`limit` 1..=200, a cursor from another list is `422`).
pub fn of_list<T>(
    items: Vec<T>,
    limit: Limit,
    cursor: Option<&str>,
    key: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), InvalidCursor> {
    let limit = usize::try_from(limit.get()).unwrap_or(0);
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(raw) => {
            let invalid = || InvalidCursor;
            let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid())?;
            let after = String::from_utf8(bytes).map_err(|_| invalid())?;
            items
                .iter()
                .position(|i| key(i) == after)
                .map(|p| p + 1)
                .ok_or_else(invalid)?
        }
    };
    let rest: Vec<T> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<T> = rest.into_iter().take(limit).collect();
    let next = more
        .then(|| page.last().map(|last| URL_SAFE_NO_PAD.encode(key(last))))
        .flatten();
    Ok((page, next))
}

/// Splits one extra fetched row off `rows` and returns the next cursor if there was one.
pub fn finish<T, I: Into<Uuid>>(
    mut rows: Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> I,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|r| encode_id_cursor(id(r).into()));
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_lists_page_by_key() {
        let items = vec!["a", "b", "c", "d", "e"];
        let two = Limit::parse_from_parameter("2").expect("limit");
        let (p1, c1) = of_list(items.clone(), two, None, |s| s).expect("page");
        assert_eq!(p1, ["a", "b"]);
        let (p2, c2) = of_list(items.clone(), two, c1.as_deref(), |s| s).expect("page");
        assert_eq!(p2, ["c", "d"]);
        let (p3, c3) = of_list(items.clone(), two, c2.as_deref(), |s| s).expect("page");
        assert_eq!((p3, c3), (vec!["e"], None));
        let (all, none) = of_list(items.clone(), Limit::default(), None, |s| s).expect("page");
        assert_eq!((all.len(), none), (5, None));
        assert!(of_list(items.clone(), two, Some("zz"), |s| s).is_err());
        assert!(of_list(items, two, Some("!!"), |s| s).is_err());
    }

    use super::*;
    use poem_openapi::types::ParseFromParameter;

    #[test]
    fn limits_and_cursors() {
        for empty in ["", "!!"] {
            assert_eq!(decode_id_cursor(Some(empty)).is_ok(), empty.is_empty());
            assert_eq!(decode_time_cursor(Some(empty)).is_ok(), empty.is_empty());
        }
        assert_eq!(decode_id_cursor(Some("")), Ok(None));
        let none: [&str; 0] = [];
        assert_eq!(Limit::parse_from_parameters(none).ok(), Some(Limit(50)));
        assert_eq!(Limit::parse_from_parameter("200").ok(), Some(Limit(200)));
        for bad in ["0", "201", "-1", "ten", ""] {
            assert!(Limit::parse_from_parameter(bad).is_err(), "{bad}");
        }
        let id = Uuid::now_v7();
        assert_eq!(
            decode_id_cursor(Some(&encode_id_cursor(id))).ok().flatten(),
            Some(id)
        );
        assert!(decode_id_cursor(Some("!!")).is_err());
        let (rows, next) = finish(vec![1, 2, 3], 2, |_| id);
        assert_eq!((rows.len(), next.is_some()), (2, true));
        let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("time");
        assert_eq!(
            decode_time_cursor(Some(&encode_time_cursor(at, id)))
                .ok()
                .flatten(),
            Some((at, id))
        );
        assert!(decode_time_cursor(Some(&encode_id_cursor(id))).is_err());
    }
}
