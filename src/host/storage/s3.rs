//! An S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...) spoken to directly: three object
//! calls (PUT, GET, DELETE) signed with AWS Signature Version 4. A full SDK would add hundreds
//! of crates for these three requests.

use std::path::Path;

use chrono::Utc;
use futures_util::TryStreamExt;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use super::{ByteStream, ObjectKey, StorageError};
use crate::config::StorageSettings;

pub struct S3Store {
    client: reqwest::Client,
    /// `http(s)://host[:port]` without a trailing slash.
    endpoint: String,
    host: String,
    bucket: String,
    region: String,
    access_key: SecretString,
    secret_key: SecretString,
    /// `<bucket>.<host>` instead of `<host>/<bucket>`.
    virtual_hosted: bool,
}

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

impl S3Store {
    pub fn from_settings(s: &StorageSettings) -> anyhow::Result<Self> {
        let endpoint = s
            .s3_endpoint
            .clone()
            .ok_or_else(|| anyhow::anyhow!("storage.s3_endpoint is required"))?
            .trim_end_matches('/')
            .to_owned();
        let host = endpoint
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(&endpoint)
            .split('/')
            .next()
            .unwrap_or_default()
            .to_owned();
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
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(Self {
            client,
            endpoint,
            host,
            bucket: s
                .s3_bucket
                .clone()
                .ok_or_else(|| anyhow::anyhow!("storage.s3_bucket is required"))?,
            region: s.s3_region.clone(),
            access_key: s
                .s3_access_key_id
                .clone()
                .ok_or_else(|| anyhow::anyhow!("storage.s3_access_key_id is required"))?,
            secret_key: s
                .s3_secret_access_key
                .clone()
                .ok_or_else(|| anyhow::anyhow!("storage.s3_secret_access_key is required"))?,
            virtual_hosted: s.s3_virtual_hosted,
        })
    }

    /// (URL, Host header, canonical path) of `key` (None: the bucket itself).
    fn target(&self, key: Option<&ObjectKey>) -> (String, String, String) {
        let object = key.map(|k| format!("/{}", k.as_str())).unwrap_or_default();
        if self.virtual_hosted {
            let scheme = self.endpoint.split_once("://").map_or("https", |(s, _)| s);
            let host = format!("{}.{}", self.bucket, self.host);
            let path = if object.is_empty() {
                "/".into()
            } else {
                object
            };
            (format!("{scheme}://{host}{path}"), host, path)
        } else {
            let path = format!("/{}{object}", self.bucket);
            (format!("{}{path}", self.endpoint), self.host.clone(), path)
        }
    }

    fn signed(
        &self,
        method: reqwest::Method,
        key: Option<&ObjectKey>,
        payload_sha256: &str,
        extra: &[(&str, String)],
    ) -> reqwest::RequestBuilder {
        let (url, host, path) = self.target(key);
        let amz_date = Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("x-amz-content-sha256".into(), payload_sha256.to_owned()),
            ("x-amz-date".into(), amz_date.clone()),
        ];
        headers.extend(
            extra
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
        );
        let authorization = sign_v4(&SigningInput {
            method: method.as_str(),
            path: &path,
            query: "",
            headers: &headers,
            payload_sha256,
            access_key: self.access_key.expose_secret(),
            secret_key: self.secret_key.expose_secret(),
            region: &self.region,
            amz_date: &amz_date,
        });
        let mut rb = self
            .client
            .request(method, url)
            .header("authorization", authorization);
        for (k, v) in headers.into_iter().filter(|(k, _)| k != "host") {
            rb = rb.header(k, v);
        }
        rb
    }

    /// Creates the bucket (an existing one owned by us is fine).
    pub async fn create_bucket(&self) -> Result<(), StorageError> {
        let resp = self
            .signed(reqwest::Method::PUT, None, EMPTY_SHA256, &[])
            .send()
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::CONFLICT => Ok(()),
            _ => Err(failure(resp).await),
        }
    }

    pub async fn put_file(
        &self,
        key: &ObjectKey,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StorageError> {
        // One pass to hash (the signature covers the payload), one to send.
        let mut file = tokio::fs::File::open(path).await?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut len = 0u64;
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            len += n as u64;
            hasher.update(&buf[..n]);
        }
        let digest = hex::encode(hasher.finalize());
        let file = tokio::fs::File::open(path).await?;
        let resp = self
            .signed(
                reqwest::Method::PUT,
                Some(key),
                &digest,
                &[("content-type", content_type.to_owned())],
            )
            .header("content-length", len)
            .body(reqwest::Body::wrap_stream(ReaderStream::new(file)))
            .send()
            .await?;
        if resp.status().is_success() {
            Ok(())
        } else {
            Err(failure(resp).await)
        }
    }

    pub async fn open(&self, key: &ObjectKey) -> Result<Option<(u64, ByteStream)>, StorageError> {
        let resp = self
            .signed(reqwest::Method::GET, Some(key), EMPTY_SHA256, &[])
            .send()
            .await?;
        match resp.status() {
            StatusCode::NOT_FOUND => Ok(None),
            s if s.is_success() => {
                let len = resp.content_length().unwrap_or(0);
                let stream: ByteStream =
                    Box::pin(resp.bytes_stream().map_err(std::io::Error::other));
                Ok(Some((len, stream)))
            }
            _ => Err(failure(resp).await),
        }
    }

    pub async fn delete(&self, key: &ObjectKey) -> Result<(), StorageError> {
        let resp = self
            .signed(reqwest::Method::DELETE, Some(key), EMPTY_SHA256, &[])
            .send()
            .await?;
        match resp.status() {
            s if s.is_success() => Ok(()),
            StatusCode::NOT_FOUND => Ok(()),
            _ => Err(failure(resp).await),
        }
    }
}

async fn failure(resp: reqwest::Response) -> StorageError {
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    StorageError::Status {
        status,
        body: body.chars().take(500).collect(),
    }
}

/// What a Signature Version 4 `Authorization` header is computed from.
pub struct SigningInput<'a> {
    pub method: &'a str,
    /// Already URI-encoded (our keys need no encoding).
    pub path: &'a str,
    /// The canonical query string (sorted, encoded); empty for the calls made here.
    pub query: &'a str,
    /// Lower-case names; must include `host` and `x-amz-date`.
    pub headers: &'a [(String, String)],
    pub payload_sha256: &'a str,
    pub access_key: &'a str,
    pub secret_key: &'a str,
    pub region: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

/// The `Authorization` header value of AWS Signature Version 4 for service `s3`.
pub fn sign_v4(input: &SigningInput<'_>) -> String {
    let mut headers: Vec<(&str, String)> = input
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n{}\n{}\n{canonical_headers}\n{signed_headers}\n{}",
        input.method, input.path, input.query, input.payload_sha256
    );
    let date = &input.amz_date[..8];
    let scope = format!("{date}/{}/s3/aws4_request", input.region);
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        input.amz_date,
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let k_date = hmac(format!("AWS4{}", input.secret_key).as_bytes(), date);
    let k_region = hmac(&k_date, input.region);
    let k_service = hmac(&k_region, "s3");
    let k_signing = hmac(&k_service, "aws4_request");
    let signature = hex::encode(hmac(&k_signing, &string_to_sign));
    format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}",
        input.access_key
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example "GET Object" of the AWS S3 documentation (Signature Version 4,
    /// header-based authentication).
    #[test]
    fn matches_the_aws_documentation_example() {
        let headers = vec![
            (
                "host".to_owned(),
                "examplebucket.s3.amazonaws.com".to_owned(),
            ),
            ("range".to_owned(), "bytes=0-9".to_owned()),
            ("x-amz-content-sha256".to_owned(), EMPTY_SHA256.to_owned()),
            ("x-amz-date".to_owned(), "20130524T000000Z".to_owned()),
        ];
        let auth = sign_v4(&SigningInput {
            method: "GET",
            path: "/test.txt",
            query: "",
            headers: &headers,
            payload_sha256: EMPTY_SHA256,
            access_key: "AKIAIOSFODNN7EXAMPLE",
            secret_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            region: "us-east-1",
            amz_date: "20130524T000000Z",
        });
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }
}
