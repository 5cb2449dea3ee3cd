//! Logging and tracing set-up for Portcullis processes, and their Prometheus metrics.
//!
//! Logs: human-readable lines by default, JSON lines on request, filtered with `RUST_LOG` syntax
//! (default `info`). A line written inside a request or a job delivery carries that span's fields
//! (`request_id`, `trace_id`, ...): text lines name them before the message; JSON lines hold them
//! under `span` (the innermost) and `spans` (all, outermost first).
//!
//! Traces: with an OTLP endpoint configured ([`init_with`]), spans are also exported with
//! OpenTelemetry: those `RUST_LOG` enables, and always the request, job and repository spans
//! (`otel::TRACED`). Without an endpoint, no OpenTelemetry layer is installed at all.
//!
//! # Layout
//! - this file: [`LogFormat`], [`init`], [`init_with`] (the global subscriber).
//! - [`otel`]: the OTLP exporter, its settings, and [`Telemetry`] (flush on shutdown).
//! - [`trace_context`]: W3C `traceparent` for requests and jobs, with or without export.
//! - [`metrics`]: Prometheus metrics, the process-wide registry and `GET /metrics`'s rendering.

pub mod metrics;
pub mod otel;
pub mod trace_context;

pub use otel::{OtelSettings, SamplerSpec, Telemetry};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Installs the global subscriber, logs only. Safe to call more than once (later calls do
/// nothing).
pub fn init(format: LogFormat) {
    let _ = init_with(format, None);
}

/// Installs the global subscriber: logs, and OpenTelemetry export when `otel` is given. Safe to
/// call more than once (later calls do nothing). Fails only if the exporter cannot be built.
pub fn init_with(format: LogFormat, otel: Option<&OtelSettings>) -> Result<Telemetry, String> {
    let log_filter = || EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only for a person at a terminal; files and collectors get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let Some(settings) = otel else {
        // Export off: exactly the logging subscriber, one global filter, nothing else per span.
        let builder =
            tracing_subscriber::fmt().with_env_filter(log_filter()).with_writer(std::io::stderr).with_ansi(ansi);
        let _ = match format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => {
                builder.json().flatten_event(true).with_current_span(true).with_span_list(true).try_init()
            }
        };
        return Ok(Telemetry::default());
    };
    let (provider, tracer) = otel::pipeline(settings)?;
    // One global filter for both layers: RUST_LOG, plus the spans traces are made of. Not a
    // filter per layer: tracing-subscriber's per-layer filters keep per-thread state which checks
    // that one layer passes and the other fails (sqlx's `enabled!`, for one) can leave stale,
    // losing later spans and log lines (and tripping its debug assertions).
    let mut filter = log_filter();
    for directive in otel::TRACED {
        filter = filter.add_directive(directive.parse().map_err(|e| format!("{directive}: {e}"))?);
    }
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(ansi);
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = match format {
        LogFormat::Text => fmt.boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).with_current_span(true).with_span_list(true).boxed(),
    };
    let spans = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        // Thread ids and names say nothing useful about async work.
        .with_threads(false);
    if tracing_subscriber::registry().with(fmt).with(spans).with(filter).try_init().is_err() {
        // A subscriber was installed before: ours would record nothing.
        let _ = provider.shutdown();
        return Ok(Telemetry::default());
    }
    trace_context::set_otel_on();
    Ok(Telemetry { provider: Some(provider) })
}
