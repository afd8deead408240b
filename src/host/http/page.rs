//! Keyset pagination (API.md §1): `?limit=` (default 50, 1..=200) and an opaque `?cursor=`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 200;

/// Validates `limit`: absent → 50; outside 1..=200 → 422.
pub fn limit(raw: Option<i64>) -> Result<i64, AppError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(AppError::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}"),
        )),
    }
}

/// A cursor naming the last id of the previous page (ids are UUIDv7, so id order is time order).
pub fn encode_id_cursor(id: Uuid) -> String {
    URL_SAFE_NO_PAD.encode(id.as_bytes())
}

pub fn decode_id_cursor(raw: Option<&str>) -> Result<Option<Uuid>, AppError> {
    // An empty `cursor=` is no cursor: the first page.
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(raw)
        .map_err(|_| AppError::validation("cursor", "is not a cursor from this API"))?;
    Uuid::from_slice(&bytes)
        .map(Some)
        .map_err(|_| AppError::validation("cursor", "is not a cursor from this API"))
}

/// A cursor for lists ordered by a time and then the id: (time, id) of the last row.
pub fn encode_time_cursor(at: DateTime<Utc>, id: Uuid) -> String {
    let mut bytes = Vec::with_capacity(24);
    bytes.extend_from_slice(&at.timestamp_micros().to_be_bytes());
    bytes.extend_from_slice(id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode_time_cursor(raw: Option<&str>) -> Result<Option<(DateTime<Utc>, Uuid)>, AppError> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let invalid = || AppError::validation("cursor", "is not a cursor from this API");
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
pub fn finish_by_time<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|r| {
            let (at, id) = key(r);
            encode_time_cursor(at, id)
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
    limit: Option<i64>,
    cursor: Option<&str>,
    key: impl Fn(&T) -> &str,
) -> Result<(Vec<T>, Option<String>), AppError> {
    let limit = usize::try_from(self::limit(limit)?).unwrap_or(0);
    let start = match cursor.filter(|c| !c.is_empty()) {
        None => 0,
        Some(raw) => {
            let invalid = || AppError::validation("cursor", "is not a cursor from this API");
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
pub fn finish<T>(
    mut rows: Vec<T>,
    limit: i64,
    id: impl Fn(&T) -> Uuid,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|r| encode_id_cursor(id(r)));
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
        let (p1, c1) = of_list(items.clone(), Some(2), None, |s| s).expect("page");
        assert_eq!(p1, ["a", "b"]);
        let (p2, c2) = of_list(items.clone(), Some(2), c1.as_deref(), |s| s).expect("page");
        assert_eq!(p2, ["c", "d"]);
        let (p3, c3) = of_list(items.clone(), Some(2), c2.as_deref(), |s| s).expect("page");
        assert_eq!((p3, c3), (vec!["e"], None));
        let (all, none) = of_list(items.clone(), None, None, |s| s).expect("page");
        assert_eq!((all.len(), none), (5, None));
        assert!(of_list(items.clone(), Some(0), None, |s| s).is_err());
        assert!(of_list(items.clone(), Some(2), Some("zz"), |s| s).is_err());
        assert!(of_list(items, Some(2), Some("!!"), |s| s).is_err());
    }

    use super::*;

    #[test]
    fn limits_and_cursors() {
        assert_eq!(limit(None).ok(), Some(50));
        assert!(limit(Some(0)).is_err() && limit(Some(201)).is_err());
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
