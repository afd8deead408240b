//! The outbox worker: delivers queued mail over SMTP (lettre), oldest first, with exponential
//! backoff on failure. Several replicas may run it: rows are claimed with `FOR UPDATE SKIP
//! LOCKED`. A request never waits for SMTP.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::MultiPart;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::config::MailSettings;
use crate::db::Db;

/// Where mail goes.
#[derive(Clone)]
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP configured (development, or `mail.log_only` elsewhere): the message stays in the
    /// outbox table and only its id and subject are logged.
    Log,
}

impl Transport {
    pub fn from_settings(mail: &MailSettings) -> anyhow::Result<Self> {
        match &mail.smtp_url {
            None => Ok(Self::Log),
            Some(url) => Ok(Self::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    .map_err(|e| anyhow::anyhow!("mail.smtp_url: {e}"))?
                    .timeout(Some(Duration::from_secs(10)))
                    .build(),
            )),
        }
    }
}

#[derive(Clone)]
pub struct MailWorker {
    db: Db,
    transport: Transport,
    from: Arc<str>,
    wake: Arc<Notify>,
}

/// An outbox row due for delivery.
#[derive(sqlx::FromRow)]
struct Pending {
    id: Uuid,
    #[sqlx(rename = "to_address")]
    to: String,
    subject: String,
    #[sqlx(rename = "body_text")]
    text: String,
    #[sqlx(rename = "body_html")]
    html: String,
    attempts: i32,
}

impl MailWorker {
    pub fn new(db: Db, transport: Transport, from: &str) -> Self {
        Self {
            db,
            transport,
            from: from.into(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Asks the worker to look at the outbox now (after a commit that queued mail).
    pub fn nudge(&self) {
        self.wake.notify_one();
    }

    /// Delivers what is due; returns (sent, failed).
    pub async fn drain_once(&self) -> anyhow::Result<(usize, usize)> {
        let mut tx = self.db.platform().begin().await?;
        let rows = sqlx::query_as::<_, Pending>(
            "select id, to_address, subject, body_text, body_html, attempts from platform.mail_outbox
             where sent_at is null and next_attempt_at <= now()
             order by next_attempt_at limit 20 for update skip locked",
        )
        .fetch_all(&mut *tx)
        .await?;
        let (mut sent, mut failed) = (0, 0);
        for mail in rows {
            match self.send(&mail).await {
                Ok(()) => {
                    sqlx::query("update platform.mail_outbox set sent_at = now(), attempts = attempts + 1, last_error = null where id = $1")
                        .bind(mail.id)
                        .execute(&mut *tx)
                        .await?;
                    sent += 1;
                }
                Err(e) => {
                    // 2, 4, 8 ... seconds, at most an hour.
                    let delay = 2f64.powi(mail.attempts.clamp(0, 11) + 1).min(3600.0);
                    tracing::warn!(mail.id = %mail.id, attempts = mail.attempts + 1, error = %e, "mail delivery failed; will retry");
                    sqlx::query(
                        "update platform.mail_outbox set attempts = attempts + 1, last_error = $2,
                         next_attempt_at = now() + make_interval(secs => $3) where id = $1",
                    )
                    .bind(mail.id)
                    .bind(e.to_string())
                    .bind(delay)
                    .execute(&mut *tx)
                    .await?;
                    failed += 1;
                }
            }
        }
        tx.commit().await?;
        Ok((sent, failed))
    }

    async fn send(&self, mail: &Pending) -> anyhow::Result<()> {
        match &self.transport {
            Transport::Log => {
                // Never the body or the address: bodies carry reset and invitation tokens. The
                // message stays in `platform.mail_outbox` for whoever runs this instance.
                tracing::info!(mail.id = %mail.id, subject = %mail.subject, "mail kept in the outbox only (no SMTP configured)");
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let message = Message::builder()
                    .from(self.from.parse()?)
                    .to(mail.to.parse()?)
                    .subject(mail.subject.clone())
                    .multipart(MultiPart::alternative_plain_html(
                        mail.text.clone(),
                        mail.html.clone(),
                    ))?;
                smtp.send(message).await?;
                Ok(())
            }
        }
    }

    /// Drains the outbox in the background: on a nudge, or every 2 seconds.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                match self.drain_once().await {
                    Ok((20, _)) => continue,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %format!("{e:#}"), "mail outbox drain failed"),
                }
                let _ = tokio::time::timeout(Duration::from_secs(2), self.wake.notified()).await;
            }
        })
    }
}
