//! A polite HTTP client for importers: a timeout on every request, a
//! User-Agent naming kpot, and bounded retries with exponential back-off on
//! 429 and 5xx (honouring `Retry-After` up to a cap).

use super::ImportError;
use std::time::Duration;

/// How hard to try, and how long to wait.
#[derive(Clone, Debug)]
pub struct Politeness {
    /// Per request, connection to last byte.
    pub timeout: Duration,
    /// Attempts after the first one.
    pub retries: u32,
    /// The first back-off; doubled on each retry.
    pub backoff: Duration,
    /// The longest wait a `Retry-After` may ask for.
    pub max_wait: Duration,
}

impl Default for Politeness {
    fn default() -> Self {
        Politeness {
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_secs(2),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// An answer's bytes and its `Content-Type` (for a declared charset).
pub struct Answer {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
}

/// The largest answer read (a jGrants detail is some tens of kB).
const MAX_BODY: u64 = 32 * 1024 * 1024;

pub struct Client {
    agent: ureq::Agent,
    politeness: Politeness,
}

impl Client {
    /// `home` is the address named in the User-Agent, so a service can
    /// tell who is calling: `kpot/0.1.0 (+https://portal.example)`.
    pub fn new(home: &str, politeness: Politeness) -> Client {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(politeness.timeout))
            .http_status_as_error(false)
            .user_agent(format!("kpot/{} (+{home})", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Client { agent, politeness }
    }

    /// GET `url` with `query`, retrying what is worth retrying.
    pub fn get(&self, url: &str, query: &[(&str, &str)]) -> Result<Answer, ImportError> {
        let mut attempt = 0;
        loop {
            let (reason, asked) = match self.once(url, query) {
                Ok(Outcome::Done(answer)) => return Ok(answer),
                Ok(Outcome::Refused(status)) => {
                    return Err(ImportError(format!("GET {url}: HTTP {status}")));
                }
                Ok(Outcome::Retry(reason, asked)) => (reason, asked),
                Err(reason) => (reason, None),
            };
            if attempt >= self.politeness.retries {
                return Err(ImportError(format!(
                    "GET {url}: {reason} (after {} attempts)",
                    attempt + 1
                )));
            }
            let wait = asked
                .map(|a| a.min(self.politeness.max_wait))
                .unwrap_or_else(|| self.backoff(attempt));
            eprintln!("GET {url}: {reason}; retrying in {} ms", wait.as_millis());
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.politeness.backoff.saturating_mul(1 << attempt.min(10))
    }

    fn once(&self, url: &str, query: &[(&str, &str)]) -> Result<Outcome, String> {
        let mut request = self.agent.get(url);
        for (key, value) in query {
            request = request.query(*key, *value);
        }
        let mut response = request.call().map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        if status == 429 || status >= 500 {
            let asked = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            return Ok(Outcome::Retry(format!("HTTP {status}"), asked));
        }
        if !(200..300).contains(&status) {
            return Ok(Outcome::Refused(status));
        }
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| format!("reading the answer: {e}"))?;
        Ok(Outcome::Done(Answer { body, content_type }))
    }
}

enum Outcome {
    Done(Answer),
    /// Worth another try, after the time the server asked for, if any.
    Retry(String, Option<Duration>),
    /// A 4xx other than 429: retrying will not help.
    Refused(u16),
}
