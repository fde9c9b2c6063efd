//! Request counters in the Prometheus text format.
//!
//! Written by hand rather than with a metrics crate: Tessera exposes one counter family and one
//! latency sum keyed by route and status, which a map behind a mutex serves in a few lines; a
//! registry abstraction would add more than it saves.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

/// Listener, route pattern (never the raw path, so the label set stays small), status.
type SeriesKey = (&'static str, String, u16);

#[derive(Default)]
struct Series {
    count: u64,
    seconds: f64,
}

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<SeriesKey, Series>>,
}

impl Metrics {
    pub fn record(&self, listener: &'static str, route: &str, status: u16, latency: Duration) {
        if let Ok(mut map) = self.requests.lock() {
            let entry = map.entry((listener, route.to_owned(), status)).or_default();
            entry.count += 1;
            entry.seconds += latency.as_secs_f64();
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP tessera_http_requests_total HTTP requests by listener, route and status.\n\
             # TYPE tessera_http_requests_total counter\n",
        );
        let Ok(map) = self.requests.lock() else {
            return out;
        };
        for ((listener, route, status), Series { count, .. }) in map.iter() {
            let _ = writeln!(
                out,
                "tessera_http_requests_total{{listener=\"{listener}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP tessera_http_request_duration_seconds_sum Total time spent serving requests.\n\
             # TYPE tessera_http_request_duration_seconds_sum counter\n",
        );
        for ((listener, route, status), Series { seconds, .. }) in map.iter() {
            let _ = writeln!(
                out,
                "tessera_http_request_duration_seconds_sum{{listener=\"{listener}\",route=\"{route}\",status=\"{status}\"}} {seconds}"
            );
        }
        out
    }
}
