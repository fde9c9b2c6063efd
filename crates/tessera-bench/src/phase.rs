//! Running one operation at a set concurrency for a set time, and summarising it.
//!
//! Each worker is a task that owns its connection and its state (a token chain, a slice of a
//! token pool) and loops: one request, timed from signing to the last byte of the response, into
//! its own histogram. In a closed loop (the default) a worker sends as soon as its last answer
//! arrives, which measures the most the server can do; then, by Little's law, the mean latency
//! is the number of workers over the throughput. With a `rate`, workers send on a fixed
//! schedule instead (open loop) and a request's latency counts from when it was due, so the
//! latency at a given load is measured without coordinated omission. A warm-up runs first and is not recorded. A worker stops at the deadline,
//! when its pool runs out (revocation), or when its chain breaks (a failed rotation leaves no
//! token to rotate); the measured window ends when the last worker stops.

use std::future::Future;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// What one step of a worker did.
pub enum Outcome {
    /// The request succeeded.
    Done,
    /// The request failed; the worker goes on.
    Failed(anyhow::Error),
    /// The request failed and the worker cannot go on (its chain is broken).
    Broken(anyhow::Error),
    /// Nothing left to do (pool exhausted); no request was sent.
    Exhausted,
}

#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub warmup: Duration,
    pub duration: Duration,
    /// Requests per second for all workers together (open loop), or `None` (closed loop).
    pub rate: Option<f64>,
}

struct WorkerResult {
    histogram: Histogram<u64>,
    errors: u64,
    first_error: Option<String>,
    exhausted: bool,
    ended: Instant,
}

/// The summary of one operation at one concurrency.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub op: &'static str,
    pub concurrency: usize,
    pub requests: u64,
    pub errors: u64,
    pub seconds: f64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Set when workers stopped before the deadline (pool exhausted) or requests failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Microseconds, 1 us .. 60 s, 3 significant digits.
fn histogram() -> anyhow::Result<Histogram<u64>> {
    Ok(Histogram::new_with_bounds(1, 60_000_000, 3)?)
}

/// Runs `step` on every state in `states` (one worker each) and reports.
pub async fn run<S, F, Fut>(
    op: &'static str,
    timing: Timing,
    states: Vec<S>,
    step: F,
) -> anyhow::Result<Report>
where
    S: Send + 'static,
    F: Fn(S) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = (S, Outcome)> + Send + 'static,
{
    let concurrency = states.len();
    let started = Instant::now();
    let record_from = started + timing.warmup;
    let deadline = record_from + timing.duration;
    // In an open loop each worker sends every `interval`, the workers staggered evenly.
    let interval = timing
        .rate
        .map(|rate| Duration::from_secs_f64(concurrency as f64 / rate));
    let workers: Vec<_> = states
        .into_iter()
        .enumerate()
        .map(|(i, state)| {
            let step = step.clone();
            let pace = interval.map(|interval| Pace {
                interval,
                first: started + interval.mul_f64(i as f64 / concurrency as f64),
            });
            histogram().map(|h| tokio::spawn(worker(state, step, h, pace, record_from, deadline)))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut total = histogram()?;
    let mut errors = 0;
    let mut first_error = None;
    let mut exhausted = 0;
    let mut ended = record_from;
    for handle in workers {
        match handle.await {
            Ok(result) => {
                let _ = total.add(&result.histogram);
                errors += result.errors;
                first_error = first_error.or(result.first_error);
                exhausted += usize::from(result.exhausted);
                ended = ended.max(result.ended);
            }
            Err(e) => {
                errors += 1;
                first_error = first_error.or(Some(format!("worker died: {e}")));
            }
        }
    }
    let seconds = ended.saturating_duration_since(record_from).as_secs_f64();
    let requests = total.len();
    let ms = |q: f64| total.value_at_quantile(q) as f64 / 1000.0;
    let mut notes = Vec::new();
    if exhausted > 0 {
        notes.push(format!(
            "{exhausted} of {concurrency} workers ran out of tokens"
        ));
    }
    if let Some(e) = first_error {
        notes.push(format!("first error: {e}"));
    }
    Ok(Report {
        op,
        concurrency,
        requests,
        errors,
        seconds,
        per_second: if seconds > 0.0 {
            requests as f64 / seconds
        } else {
            0.0
        },
        p50_ms: ms(0.50),
        p90_ms: ms(0.90),
        p99_ms: ms(0.99),
        max_ms: total.max() as f64 / 1000.0,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    })
}

/// An open-loop worker's schedule.
#[derive(Clone, Copy)]
struct Pace {
    interval: Duration,
    first: Instant,
}

async fn worker<S, F, Fut>(
    mut state: S,
    step: F,
    histogram: Histogram<u64>,
    pace: Option<Pace>,
    record_from: Instant,
    deadline: Instant,
) -> WorkerResult
where
    F: Fn(S) -> Fut,
    Fut: Future<Output = (S, Outcome)>,
{
    let mut result = WorkerResult {
        histogram,
        errors: 0,
        first_error: None,
        exhausted: false,
        ended: deadline,
    };
    let mut due = pace.map(|p| p.first);
    loop {
        // When the request is due: now in a closed loop; its slot in the schedule in an open
        // one (in the past when the worker is behind, which then counts as latency).
        let before = match (&mut due, pace) {
            (Some(due), Some(pace)) => {
                let this = *due;
                *due += pace.interval;
                tokio::time::sleep_until(this.into()).await;
                this
            }
            _ => Instant::now(),
        };
        if before >= deadline {
            break;
        }
        let (next, outcome) = step(state).await;
        state = next;
        let after = Instant::now();
        let (error, stop) = match outcome {
            Outcome::Done => {
                if before >= record_from {
                    let micros =
                        u64::try_from(after.duration_since(before).as_micros()).unwrap_or(u64::MAX);
                    result.histogram.saturating_record(micros.max(1));
                }
                (None, false)
            }
            Outcome::Failed(e) => (Some(e), false),
            Outcome::Broken(e) => (Some(e), true),
            Outcome::Exhausted => {
                result.exhausted = true;
                (None, true)
            }
        };
        // Failures count during the warm-up too: they are never hidden.
        if let Some(e) = error {
            result.errors += 1;
            result.first_error.get_or_insert_with(|| format!("{e:#}"));
        }
        if stop {
            break;
        }
    }
    result.ended = Instant::now();
    result
}
