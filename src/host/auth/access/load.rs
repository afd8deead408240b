//! Loading a credential's rights on a cache miss: a session ([`AccessCache::session`]) or an
//! API key ([`AccessCache::api_key`]), and recording an API key's use.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Access, AccessCache, Cached};
use crate::db::Db;
use crate::tenancy::Tenant;

/// An API key and its user, as [`AccessCache::load_key`] reads them.
#[derive(sqlx::FromRow)]
struct KeyRow {
    id: Uuid,
    secret_hash: Vec<u8>,
    key_permissions: Option<Vec<String>>,
    user_id: Uuid,
    email: String,
    permissions: Vec<String>,
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// Constant-time comparison of two digests.
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AccessCache {
    /// Records that an API key was used, in the background and at most once a minute per key.
    pub fn touch_key(&self, db: &Db, tenant: &Arc<Tenant>, key_id: Uuid) {
        {
            let mut touched = self.touched.write().unwrap_or_else(|p| p.into_inner());
            if touched
                .get(&key_id)
                .is_some_and(|t| t.elapsed() < Duration::from_secs(60))
            {
                return;
            }
            if touched.len() > 100_000 {
                touched.clear();
            }
            touched.insert(key_id, Instant::now());
        }
        let (db, tenant) = (db.clone(), Arc::clone(tenant));
        tokio::spawn(async move {
            let result = async {
                let mut tx = tenant.begin(&db).await?;
                sqlx::query("update api_keys set last_used_at = now() where id = $1")
                    .bind(key_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = result {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }

    /// The rights of a live session of an active user; `None` when it has ended.
    pub async fn session(
        &self,
        tenant: &Tenant,
        session_id: Uuid,
        user_id: Uuid,
    ) -> Result<Option<Access>, sqlx::Error> {
        let key = (tenant.id, session_id.to_string());
        match self.get(&key) {
            Some(Cached::Session(a)) if a.user_id == user_id => return Ok(Some(a)),
            Some(Cached::Denied) => return Ok(None),
            _ => {}
        }
        let seen = self.epoch();
        let mut tx = tenant.begin(&self.db).await?;
        let row = sqlx::query_as::<_, (String, Vec<String>)>(
            "select u.email,
                    array(select distinct p from user_roles ur join roles r on r.id = ur.role_id,
                          unnest(r.permissions) p where ur.user_id = u.id) as permissions
             from sessions s join users u on u.id = s.user_id
             where s.id = $1 and s.user_id = $2 and s.revoked_at is null and s.expires_at > now()
               and u.is_active",
        )
        .bind(session_id)
        .bind(user_id)
        .fetch_optional(&mut *tx)
        .await?;
        tx.end_read();
        let value = match row {
            Some((email, permissions)) => Cached::Session(Access {
                user_id,
                email,
                permissions: Arc::new(permissions.into_iter().collect()),
            }),
            None => Cached::Denied,
        };
        self.put(seen, key, value.clone());
        Ok(match value {
            Cached::Session(a) => Some(a),
            _ => None,
        })
    }

    /// The rights of an API key `flk_<prefix>_<secret>`: its own permissions intersected with
    /// its user's current ones. `None` for an unknown, revoked, expired or mistyped key.
    pub async fn api_key(
        &self,
        tenant: &Tenant,
        prefix: &str,
        secret: &str,
    ) -> Result<Option<(Uuid, Access)>, sqlx::Error> {
        let key = (tenant.id, format!("key:{prefix}"));
        let presented = sha256(secret.as_bytes());
        let cached = match self.get(&key) {
            Some(c) => c,
            None => {
                let seen = self.epoch();
                let loaded = self.load_key(tenant, prefix).await?;
                self.put(seen, key, loaded.clone());
                loaded
            }
        };
        Ok(match cached {
            Cached::ApiKey {
                secret_hash,
                key_id,
                access,
            } if same(&secret_hash, &presented) => Some((key_id, access)),
            _ => None,
        })
    }

    async fn load_key(&self, tenant: &Tenant, prefix: &str) -> Result<Cached, sqlx::Error> {
        let mut tx = tenant.begin(&self.db).await?;
        let row = sqlx::query_as::<_, KeyRow>(
            "select k.id, k.secret_hash, k.permissions as key_permissions, u.id as user_id, u.email,
                    array(select distinct p from user_roles ur join roles r on r.id = ur.role_id,
                          unnest(r.permissions) p where ur.user_id = u.id) as permissions
             from api_keys k join users u on u.id = k.user_id
             where k.prefix = $1 and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
               and u.is_active",
        )
        .bind(prefix)
        .fetch_optional(&mut *tx)
        .await?;
        tx.end_read();
        let Some(row) = row else {
            return Ok(Cached::Denied);
        };
        let mut permissions: HashSet<String> = row.permissions.into_iter().collect();
        if let Some(only) = row.key_permissions {
            let only: HashSet<String> = only.into_iter().collect();
            permissions.retain(|p| only.contains(p));
        }
        Ok(Cached::ApiKey {
            secret_hash: row.secret_hash,
            key_id: row.id,
            access: Access {
                user_id: row.user_id,
                email: row.email,
                permissions: Arc::new(permissions),
            },
        })
    }
}
