//! Reminders of what lapses: a per-tenant job of this domain's manifest. For every person with
//! records, each requirement that lapses on a known day (`compliance::assess::lapsing`: the
//! medical, the flight review, solo endorsements, checkouts, the instructor certificate) is
//! mailed to the person 30 days, 7 days and on the last day before it lapses, once per item
//! and threshold (`compliance_reminders` remembers what went out). A pass that starts late
//! sends only the most urgent threshold reached, never a stale one. Mail goes through the
//! outbox in the same transaction as the row that records it.

use chrono::Utc;
use futures_util::future::BoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use super::compliance::people_with_records;
use super::facts;
use crate::compliance::assess::lapsing;
use crate::kernel::manifest::TenantJob;
use crate::mail::{self, Email, escape_html};

/// Days before the last day at which a reminder goes out.
pub const THRESHOLDS: [i64; 3] = [30, 7, 0];

pub const COMPLIANCE_REMINDERS: TenantJob = TenantJob {
    name: "compliance_reminders",
    every_seconds: 3600,
    run,
};

fn run(conn: &mut PgConnection, tenant: Uuid) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
    Box::pin(async move {
        remind(conn, tenant).await.map_err(|e| match e {
            crate::error::AppError::Db(e) => e,
            other => sqlx::Error::Protocol(other.to_string()),
        })
    })
}

/// The most urgent threshold reached with `days_left` to go, if any.
pub fn threshold(days_left: i64) -> Option<i64> {
    THRESHOLDS
        .iter()
        .copied()
        .filter(|t| days_left >= 0 && days_left <= *t)
        .min()
}

async fn remind(conn: &mut PgConnection, tenant: Uuid) -> crate::error::Result<u64> {
    let now = Utc::now();
    let mut sent = 0;
    for (person, name) in people_with_records(conn, None).await? {
        let (loaded, _) = facts::load(conn, person, now, None).await?;
        for l in lapsing(
            &loaded.person,
            loaded.on,
            loaded.authority,
            loaded.privileges,
            30,
        ) {
            let Some(until) = l.finding.valid_until else {
                continue;
            };
            let Some(t) = threshold((until - loaded.on).num_days()) else {
                continue;
            };
            let item = match &l.type_code {
                Some(t) => format!("{}:{t}", l.finding.rule),
                None => l.finding.rule.to_owned(),
            };
            let email: Option<String> = sqlx::query_scalar(
                "with sent as (
                     insert into compliance_reminders (person_id, item, valid_until, threshold_days)
                     values ($1, $2, $3, $4) on conflict do nothing returning person_id)
                 select u.email from users u join sent on sent.person_id = u.id",
            )
            .bind(person)
            .bind(&item)
            .bind(until)
            .bind(i32::try_from(t).unwrap_or(0))
            .fetch_optional(&mut *conn)
            .await?;
            let Some(to) = email else {
                continue;
            };
            let what = match &l.type_code {
                Some(t) => format!("{} ({t})", l.finding.detail),
                None => l.finding.detail.clone(),
            };
            let when = if t == 0 {
                "today is the last day".to_owned()
            } else {
                format!("the last day is {until}")
            };
            let text = format!(
                "Hello {name},\n\n{what}, under {}: {when}.\n\nRenew it in time to keep flying.\n",
                l.finding.regulation
            );
            let html = format!(
                "<p>Hello {},</p><p>{}, under {}: {}.</p><p>Renew it in time to keep flying.</p>",
                escape_html(&name),
                escape_html(&what),
                escape_html(l.finding.regulation),
                escape_html(&when)
            );
            mail::enqueue_in(
                conn,
                tenant,
                &Email {
                    to,
                    subject: format!("Lapsing: {what} ({until})"),
                    text,
                    html,
                },
            )
            .await?;
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::threshold;

    #[test]
    fn the_most_urgent_threshold_reached() {
        assert_eq!(threshold(31), None);
        assert_eq!(threshold(30), Some(30));
        assert_eq!(threshold(8), Some(30));
        assert_eq!(threshold(7), Some(7));
        assert_eq!(threshold(1), Some(7));
        assert_eq!(threshold(0), Some(0));
        assert_eq!(threshold(-1), None);
    }
}
