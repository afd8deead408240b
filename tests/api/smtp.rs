//! A real SMTP server for the tests: speaks enough of RFC 5321 for lettre, keeps every message,
//! and can be stopped and started again on the same port to simulate an outage.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    task: Option<JoinHandle<()>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind smtp");
        let port = listener.local_addr().expect("addr").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let task = Some(tokio::spawn(serve(listener, messages.clone())));
        Self {
            port,
            messages,
            task,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops accepting and drops open connections (an outage).
    pub fn stop(&mut self) {
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }

    /// Listens again on the same port.
    pub async fn restart(&mut self) {
        self.stop();
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(l) => break l,
                Err(e) if tries < 50 => {
                    tries += 1;
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("rebind smtp: {e}"),
            }
        };
        self.task = Some(tokio::spawn(serve(listener, self.messages.clone())));
    }

    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// How many messages arrived so far (pass to [`wait_for`](Self::wait_for) to skip them).
    pub fn mark(&self) -> usize {
        self.messages().len()
    }

    /// Waits for a message to `to` containing `needle`, among those after `since` (a
    /// [`mark`](Self::mark)), and returns it decoded (quoted-printable soft breaks undone).
    pub async fn wait_for(
        &self,
        to: &str,
        needle: &str,
        since: usize,
        timeout: Duration,
    ) -> String {
        let start = Instant::now();
        loop {
            if let Some(m) = self
                .messages()
                .into_iter()
                .skip(since)
                .map(|m| m.replace("=\r\n", "").replace("=3D", "="))
                .rev()
                .find(|m| m.contains(&format!("To: {to}")) && m.contains(needle))
            {
                return m;
            }
            assert!(
                start.elapsed() < timeout,
                "no mail to {to} within {timeout:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn serve(listener: TcpListener, messages: Arc<Mutex<Vec<String>>>) {
    let mut conns = tokio::task::JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let messages = messages.clone();
        conns.spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read);
            if write.write_all(b"220 sink ESMTP\r\n").await.is_err() {
                return;
            }
            let mut line = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250 sink\r\n",
                    "DATA" => {
                        if write.write_all(b"354 go ahead\r\n").await.is_err() {
                            return;
                        }
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if lines.read_line(&mut l).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        if let Ok(mut m) = messages.lock() {
                            m.push(data);
                        }
                        b"250 queued\r\n"
                    }
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    _ => b"250 OK\r\n",
                };
                if write.write_all(reply).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// The one-time token in a message's link.
pub fn token_in(message: &str) -> String {
    let start = message.find("token=").expect("a link with a token") + "token=".len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}
