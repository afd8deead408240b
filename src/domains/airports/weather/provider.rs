//! The weather provider: any service speaking the aviationweather.gov Data API's JSON
//! (`GET {base}/api/data/metar?ids=KJFK,KLAX&format=json`, the same for `taf`): an array of
//! objects with `icaoId`, `rawOb` and `obsTime` (UNIX seconds) or `reportTime`
//! (`2026-12-07T11:51:00.000Z`) for a METAR; `icaoId`, `rawTAF`, `issueTime`, `validTimeFrom`
//! and `validTimeTo` for a TAF. An answer with no reports is `200 []` or `204`. Reading is
//! lenient: a time may be seconds or text, unknown fields are ignored, a record without a
//! station or text is skipped.

use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

/// The largest answer read (a METAR is ~1 KB of JSON, a TAF ~5 KB; a batch is 100 stations).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Why a request to the provider gave no reports.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error("the weather provider timed out")]
    Timeout,
    #[error("the weather provider could not be reached")]
    Unreachable,
    #[error("the weather provider answered HTTP {0}")]
    Status(u16),
    #[error("the weather provider's answer was not understood")]
    Malformed,
}

impl ProviderError {
    fn from_reqwest(e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            Self::Timeout
        } else {
            Self::Unreachable
        }
    }
}

/// A METAR as the provider sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct MetarRecord {
    pub station: String,
    pub raw: String,
    pub observed_at: Option<DateTime<Utc>>,
}

/// A TAF as the provider sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct TafRecord {
    pub station: String,
    pub raw: String,
    pub issued_at: Option<DateTime<Utc>>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_to: Option<DateTime<Utc>>,
}

/// A client of one provider.
pub struct Provider {
    client: reqwest::Client,
    base: String,
}

impl Provider {
    /// A client of `base` (validated by the configuration) with `timeout` per request.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Self> {
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        })
        .with_no_client_auth();
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!(
                "flightline/",
                env!("CARGO_PKG_VERSION"),
                " (weather)"
            ))
            .build()?;
        Ok(Self {
            client,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The METARs of `stations` (at most one request's worth; the caller batches).
    pub async fn metars(&self, stations: &[String]) -> Result<Vec<MetarRecord>, ProviderError> {
        let body = self.get("metar", stations).await?;
        parse_metars(&body)
    }

    /// The TAFs of `stations`.
    pub async fn tafs(&self, stations: &[String]) -> Result<Vec<TafRecord>, ProviderError> {
        let body = self.get("taf", stations).await?;
        parse_tafs(&body)
    }

    async fn get(&self, product: &str, stations: &[String]) -> Result<Vec<u8>, ProviderError> {
        let url = format!(
            "{}/api/data/{product}?ids={}&format=json",
            self.base,
            stations.join(",")
        );
        let mut resp = self
            .client
            .get(url)
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|e| ProviderError::from_reqwest(&e))?;
        let status = resp.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(b"[]".to_vec());
        }
        if !status.is_success() {
            return Err(ProviderError::Status(status.as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| ProviderError::from_reqwest(&e))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(ProviderError::Malformed);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn records(body: &[u8]) -> Result<Vec<Value>, ProviderError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(items)) => Ok(items),
        _ => Err(ProviderError::Malformed),
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A time as UNIX seconds or as text (RFC 3339, or `2026-12-07 11:51:00`, taken as UTC).
fn time(v: &Value, key: &str) -> Option<DateTime<Utc>> {
    match v.get(key)? {
        Value::Number(n) => DateTime::from_timestamp(n.as_i64()?, 0),
        Value::String(s) => {
            let s = s.trim();
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    [
                        "%Y-%m-%d %H:%M:%S%.fZ",
                        "%Y-%m-%d %H:%M:%S%.f",
                        "%Y-%m-%dT%H:%M:%S%.f",
                    ]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                    .map(|t| t.and_utc())
                })
        }
        _ => None,
    }
}

/// A station as stored: an ICAO location indicator, upper case.
pub fn station_code(s: &str) -> Option<String> {
    let s = s.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    (b.len() == 4 && b[0].is_ascii_uppercase() && b.iter().all(u8::is_ascii_alphanumeric))
        .then_some(s)
}

pub fn parse_metars(body: &[u8]) -> Result<Vec<MetarRecord>, ProviderError> {
    Ok(records(body)?
        .iter()
        .filter_map(|r| {
            Some(MetarRecord {
                station: station_code(&text(r, "icaoId")?)?,
                raw: text(r, "rawOb")?,
                observed_at: time(r, "obsTime").or_else(|| time(r, "reportTime")),
            })
        })
        .collect())
}

pub fn parse_tafs(body: &[u8]) -> Result<Vec<TafRecord>, ProviderError> {
    Ok(records(body)?
        .iter()
        .filter_map(|r| {
            Some(TafRecord {
                station: station_code(&text(r, "icaoId")?)?,
                raw: text(r, "rawTAF")?,
                issued_at: time(r, "issueTime").or_else(|| time(r, "bulletinTime")),
                valid_from: time(r, "validTimeFrom"),
                valid_to: time(r, "validTimeTo"),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn the_data_apis_json() {
        let metars = parse_metars(
            br#"[{"icaoId":"KJFK","receiptTime":"2026-12-07T11:54:12.000Z","obsTime":1796644260,
                 "reportTime":"2026-12-07T12:00:00.000Z","temp":-2,"wdir":310,"wspd":12,
                 "visib":"10+","rawOb":"METAR KJFK 071151Z 31012KT 10SM FEW050 M02/M09 A3012",
                 "clouds":[{"cover":"FEW","base":5000}],"fltCat":"VFR"},
                {"icaoId":"egll","reportTime":"2026-12-07 11:50:00","rawOb":"EGLL 071150Z 24008KT 9999 FEW010 15/13 Q1006"},
                {"icaoId":"KNUL"},
                {"rawOb":"no station"}]"#,
        )
        .expect("parsed");
        assert_eq!(metars.len(), 2);
        assert_eq!(metars[0].station, "KJFK");
        assert_eq!(
            metars[0].observed_at,
            DateTime::from_timestamp(1_796_644_260, 0)
        );
        assert_eq!(metars[1].station, "EGLL");
        assert_eq!(
            metars[1].observed_at,
            Utc.with_ymd_and_hms(2026, 12, 7, 11, 50, 0).single()
        );
        let tafs = parse_tafs(
            br#"[{"icaoId":"KJFK","issueTime":"2026-12-07T11:20:00.000Z","validTimeFrom":1796644800,
                 "validTimeTo":1796752800,"rawTAF":"TAF KJFK 071120Z 0712/0818 31012KT P6SM SCT050",
                 "fcsts":[]}]"#,
        )
        .expect("parsed");
        assert_eq!(tafs[0].valid_to, DateTime::from_timestamp(1_796_752_800, 0));
        assert_eq!(
            tafs[0].issued_at,
            Utc.with_ymd_and_hms(2026, 12, 7, 11, 20, 0).single()
        );
        assert_eq!(parse_metars(b"").expect("empty"), vec![]);
        assert_eq!(parse_metars(b"[]").expect("empty"), vec![]);
        assert!(matches!(
            parse_metars(b"<html>"),
            Err(ProviderError::Malformed)
        ));
        assert!(matches!(
            parse_tafs(br#"{"error":"x"}"#),
            Err(ProviderError::Malformed)
        ));
    }

    #[test]
    fn station_codes() {
        assert_eq!(station_code(" kjfk ").as_deref(), Some("KJFK"));
        assert_eq!(station_code("K1V6").as_deref(), Some("K1V6"));
        assert_eq!(station_code("1KJF"), None);
        assert_eq!(station_code("_ABC"), None);
        assert_eq!(station_code("KJFKX"), None);
    }
}
