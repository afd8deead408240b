//! SQL of the identity domain. Every function runs inside the caller's `TenantTx`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::dto::{Role, RoleRef, Team, User};

const USER_COLUMNS: &str =
    "id, email, name, is_active, email_verified_at is not null as email_verified,
     coalesce(locked_until > now(), false) as locked, password_hash is not null as has_password,
     phone, department, position, avatar_url, preferences, last_login_at, created_at, updated_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: crate::kernel::UserId,
    email: String,
    name: String,
    is_active: bool,
    email_verified: bool,
    locked: bool,
    has_password: bool,
    phone: Option<String>,
    department: Option<String>,
    position: Option<String>,
    avatar_url: Option<String>,
    preferences: Value,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn user(r: UserRow, roles: Vec<RoleRef>) -> User {
    User {
        id: r.id,
        email: r.email,
        name: r.name,
        is_active: r.is_active,
        email_verified: r.email_verified,
        locked: r.locked,
        has_password: r.has_password,
        phone: r.phone,
        department: r.department,
        position: r.position,
        avatar_url: r.avatar_url,
        preferences: r.preferences,
        roles,
        last_login_at: r.last_login_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

async fn roles_of(
    conn: &mut PgConnection,
    users: &[Uuid],
) -> Result<HashMap<Uuid, Vec<RoleRef>>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, String)> = sqlx::query_as(
        "select ur.user_id, r.id, r.name from user_roles ur join roles r on r.id = ur.role_id
         where ur.user_id = any($1) order by r.name",
    )
    .bind(users)
    .fetch_all(conn)
    .await?;
    let mut map: HashMap<Uuid, Vec<RoleRef>> = HashMap::new();
    for (user, id, name) in rows {
        map.entry(user).or_default().push(RoleRef { id, name });
    }
    Ok(map)
}

/// Filters of the user list.
pub struct UserFilter<'a> {
    pub role: Option<Uuid>,
    pub team: Option<Uuid>,
    pub active: Option<bool>,
    pub search: Option<&'a str>,
}

pub async fn list_users(
    conn: &mut PgConnection,
    f: &UserFilter<'_>,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<User>, sqlx::Error> {
    let sql = format!(
        "select {USER_COLUMNS} from users u
         where ($1::uuid is null or id > $1)
           and ($2::uuid is null or exists (select 1 from user_roles ur where ur.user_id = u.id and ur.role_id = $2))
           and ($3::uuid is null or exists (select 1 from team_members tm where tm.user_id = u.id and tm.team_id = $3))
           and ($4::boolean is null or is_active = $4)
           and ($5::text is null or name ilike $5 or email ilike $5)
         order by id limit $6"
    );
    let rows = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(f.role)
        .bind(f.team)
        .bind(f.active)
        .bind(f.search.map(crate::kernel::page::contains_pattern))
        .bind(limit + 1)
        .fetch_all(&mut *conn)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id.0).collect();
    let mut roles = roles_of(conn, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let of = roles.remove(&r.id.0).unwrap_or_default();
            user(r, of)
        })
        .collect())
}

pub async fn get_user(
    conn: &mut PgConnection,
    id: crate::kernel::UserId,
) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("select {USER_COLUMNS} from users where id = $1");
    let Some(row) = sqlx::query_as::<_, UserRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let mut roles = roles_of(conn, &[id.0]).await?;
    Ok(Some(user(row, roles.remove(&id.0).unwrap_or_default())))
}

/// Replaces the user's roles. The caller has checked that every id exists.
pub async fn set_roles(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
    roles: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from user_roles where user_id = $1 and role_id <> all($2)")
        .bind(user)
        .bind(roles)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "insert into user_roles (user_id, role_id) select $1, unnest($2::uuid[]) on conflict do nothing",
    )
    .bind(user)
    .bind(roles)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The permissions granted by `roles`, and whether every id named an existing role.
pub async fn permissions_of_roles(
    conn: &mut PgConnection,
    roles: &[Uuid],
) -> Result<(Vec<String>, bool), sqlx::Error> {
    let (found, perms): (i64, Vec<String>) = sqlx::query_as(
        "select count(*), coalesce(array(select distinct p from roles r2, unnest(r2.permissions) p where r2.id = any($1)), '{}')
         from roles where id = any($1)",
    )
    .bind(roles)
    .fetch_one(conn)
    .await?;
    let distinct: std::collections::HashSet<&Uuid> = roles.iter().collect();
    Ok((perms, found == distinct.len() as i64))
}

/// Active users holding the `admin` role, other than `except`.
pub async fn other_active_admins(
    conn: &mut PgConnection,
    except: crate::kernel::UserId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "select count(*) from users u join user_roles ur on ur.user_id = u.id join roles r on r.id = ur.role_id
         where r.name = 'admin' and r.is_system and u.is_active and u.id <> $1",
    )
    .bind(except)
    .fetch_one(conn)
    .await
}

pub async fn is_admin(
    conn: &mut PgConnection,
    user: crate::kernel::UserId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists(select 1 from user_roles ur join roles r on r.id = ur.role_id
                       where ur.user_id = $1 and r.name = 'admin' and r.is_system)",
    )
    .bind(user)
    .fetch_one(conn)
    .await
}

const ROLE_SELECT: &str =
    "select r.id, r.name, r.description, r.permissions, r.is_system, r.created_at, r.updated_at,
            (select count(*) from user_roles ur where ur.role_id = r.id) as users_count
     from roles r";

#[derive(sqlx::FromRow)]
struct RoleRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    permissions: Vec<String>,
    is_system: bool,
    users_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RoleRow> for Role {
    fn from(r: RoleRow) -> Self {
        Role {
            id: r.id,
            name: r.name,
            description: r.description,
            permissions: r.permissions,
            is_system: r.is_system,
            users_count: r.users_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn list_roles(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Role>, sqlx::Error> {
    let sql = format!("{ROLE_SELECT} where ($1::uuid is null or r.id > $1) order by r.id limit $2");
    let rows = sqlx::query_as::<_, RoleRow>(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Role::from).collect())
}

pub async fn get_role(conn: &mut PgConnection, id: Uuid) -> Result<Option<Role>, sqlx::Error> {
    let sql = format!("{ROLE_SELECT} where r.id = $1");
    sqlx::query_as::<_, RoleRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Role::from))
}

const TEAM_SELECT: &str = "select t.id, t.name, t.description, t.created_at, t.updated_at,
            (select count(*) from team_members tm where tm.team_id = t.id) as members_count
     from teams t";

#[derive(sqlx::FromRow)]
struct TeamRow {
    id: Uuid,
    name: String,
    description: Option<String>,
    members_count: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<TeamRow> for Team {
    fn from(r: TeamRow) -> Self {
        Team {
            id: r.id,
            name: r.name,
            description: r.description,
            members_count: r.members_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub async fn list_teams(
    conn: &mut PgConnection,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Team>, sqlx::Error> {
    let sql = format!("{TEAM_SELECT} where ($1::uuid is null or t.id > $1) order by t.id limit $2");
    let rows = sqlx::query_as::<_, TeamRow>(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit + 1)
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(Team::from).collect())
}

pub async fn get_team(conn: &mut PgConnection, id: Uuid) -> Result<Option<Team>, sqlx::Error> {
    let sql = format!("{TEAM_SELECT} where t.id = $1");
    sqlx::query_as::<_, TeamRow>(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await
        .map(|r| r.map(Team::from))
}
