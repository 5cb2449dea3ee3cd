//! OpenTelemetry export of `tracing` spans: OTLP over HTTP (protobuf), batched, off unless an
//! endpoint is configured. When off, none of this is installed (see [`crate::init_with`]).
//!
//! Settings are the standard ones ([`OtelSettings`], read by the caller from its configuration:
//! `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL`, `OTEL_SERVICE_NAME`,
//! `OTEL_TRACES_SAMPLER` / `_ARG`); the SDK itself still reads the finer ones
//! (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `..._HEADERS`, `OTEL_BSP_*`,
//! `OTEL_RESOURCE_ATTRIBUTES`).
//!
//! Only `http/protobuf` to `http://` endpoints: batches are posted with HTTP/1.1 on hyper, which
//! the server already links (no gRPC stack, no TLS stack, no second HTTP client). A TLS collector
//! is reached through a local agent or collector. `OTEL_EXPORTER_OTLP_TIMEOUT` (ms) bounds a post.
//!
//! # Layout
//! - [`OtelSettings`], [`SamplerSpec`], [`check_protocol`], [`check_endpoint`]: what is exported
//!   where, and the checks configuration loading runs.
//! - [`Telemetry`]: the installed provider; [`Telemetry::shutdown`] flushes.
//! - `pipeline`, `TRACED`: the provider, and the spans always traced (for `crate::init_with`).
//! - `ExportClient`, `post`: the export thread's HTTP client (HTTP/1.1 on hyper).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioIo;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};

/// The one OTLP protocol this build exports with.
pub const PROTOCOL: &str = "http/protobuf";

/// Where and what to export.
#[derive(Debug, Clone)]
pub struct OtelSettings {
    /// The OTLP base endpoint (`http://host:4318`); traces go to `<endpoint>/v1/traces`.
    pub endpoint: String,
    /// `service.name` of the exported spans.
    pub service_name: String,
    pub sampler: SamplerSpec,
}

/// `OTEL_TRACES_SAMPLER` (+ `OTEL_TRACES_SAMPLER_ARG`, the ratio).
#[derive(Debug, Clone, PartialEq)]
pub enum SamplerSpec {
    AlwaysOn,
    AlwaysOff,
    TraceIdRatio(f64),
    /// Follows a sampled or unsampled parent; a root span is decided by the inner sampler.
    ParentBased(Box<SamplerSpec>),
}

impl SamplerSpec {
    /// Parses the standard sampler names; the ratio (default 1.0) must be within 0..=1.
    pub fn parse(name: &str, arg: Option<f64>) -> Result<SamplerSpec, String> {
        let ratio = || match arg.unwrap_or(1.0) {
            r if (0.0..=1.0).contains(&r) => Ok(SamplerSpec::TraceIdRatio(r)),
            r => Err(format!("the sampler ratio must be between 0 and 1, got {r}")),
        };
        let parent = |s: SamplerSpec| SamplerSpec::ParentBased(Box::new(s));
        Ok(match name.trim() {
            "always_on" => SamplerSpec::AlwaysOn,
            "always_off" => SamplerSpec::AlwaysOff,
            "traceidratio" => ratio()?,
            "parentbased_always_on" => parent(SamplerSpec::AlwaysOn),
            "parentbased_always_off" => parent(SamplerSpec::AlwaysOff),
            "parentbased_traceidratio" => parent(ratio()?),
            other => {
                return Err(format!(
                    "unknown sampler {other:?}: expected always_on, always_off, traceidratio, \
                     parentbased_always_on, parentbased_always_off or parentbased_traceidratio"
                ));
            }
        })
    }

    fn sampler(&self) -> Sampler {
        match self {
            SamplerSpec::AlwaysOn => Sampler::AlwaysOn,
            SamplerSpec::AlwaysOff => Sampler::AlwaysOff,
            SamplerSpec::TraceIdRatio(r) => Sampler::TraceIdRatioBased(*r),
            SamplerSpec::ParentBased(inner) => Sampler::ParentBased(Box::new(inner.sampler())),
        }
    }
}

/// Refuses protocols this build cannot speak (`grpc`, `http/json`).
pub fn check_protocol(protocol: &str) -> Result<(), String> {
    match protocol.trim() {
        PROTOCOL => Ok(()),
        other => Err(format!("only {PROTOCOL} is supported, got {other:?}")),
    }
}

/// Refuses endpoints this build cannot reach: anything but `http://`.
pub fn check_endpoint(endpoint: &str) -> Result<(), String> {
    let ok = endpoint.strip_prefix("http://").is_some_and(|rest| !rest.is_empty());
    if ok { Ok(()) } else { Err(format!("must be an http:// URL (no TLS in this build), got {endpoint:?}")) }
}

/// The installed export pipeline, or nothing (export off). Call [`Telemetry::shutdown`] before
/// the process exits, so the last spans are sent.
#[derive(Debug, Default)]
#[must_use = "dropping it without shutdown() may lose the last spans"]
pub struct Telemetry {
    pub(crate) provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Exports the spans still buffered and stops the export thread (blocks until it is done or
    /// the export timed out). A no-op when export is off.
    pub fn shutdown(self) {
        if let Some(provider) = self.provider
            && let Err(e) = provider.shutdown()
        {
            eprintln!("portcullis: flushing traces failed: {e}");
        }
    }
}

/// Builds the provider (batched OTLP/HTTP export) and the tracer the layer records with.
pub(crate) fn pipeline(settings: &OtelSettings) -> Result<(SdkTracerProvider, SdkTracer), String> {
    check_endpoint(&settings.endpoint)?;
    // The standard signal-specific variable names the full URL; the base endpoint gets the path.
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty())
        .unwrap_or_else(|| format!("{}/v1/traces", settings.endpoint.trim_end_matches('/')));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_http_client(ExportClient::new()?)
        .build()
        .map_err(|e| format!("OpenTelemetry exporter: {e}"))?;
    let provider = SdkTracerProvider::builder()
        // Batched: spans are queued and sent by the SDK's export thread (`OTEL_BSP_*`).
        .with_batch_exporter(exporter)
        .with_sampler(settings.sampler.sampler())
        .with_resource(Resource::builder().with_service_name(settings.service_name.clone()).build())
        .build();
    let tracer = provider.tracer("portcullis");
    Ok((provider, tracer))
}

/// Spans always traced (added to `RUST_LOG`'s directives when exporting): requests, job
/// deliveries and enqueues at info, and the repositories' debug spans (one per database call on
/// the request and job paths). These modules write no log lines at those levels, so logs stay as
/// `RUST_LOG` says; everything else is traced at the level `RUST_LOG` logs it (default info).
pub(crate) const TRACED: [&str; 4] = [
    "portcullis_api::trace=info",
    "portcullis_jobs::trace=info",
    "portcullis_jobs::job=info",
    "portcullis_store=debug",
];

/// The exporter's HTTP client: one HTTP/1.1 POST per batch on hyper, on a small runtime of its
/// own. The SDK's batch processor exports from a plain thread (no Tokio context, which hyper
/// needs); blocking that thread on its own current-thread runtime keeps the export independent of
/// the server's runtime, so the final flush works whenever it runs, even after that runtime is
/// gone. A fresh connection per batch (one every few seconds at most) needs no pool.
#[derive(Debug)]
struct ExportClient {
    rt: tokio::runtime::Runtime,
    /// For the whole exchange: `OTEL_EXPORTER_OTLP_TIMEOUT` (ms), default 10 s as the spec says.
    timeout: Duration,
}
/// A collector's answer is a small protobuf; anything larger is not one.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

impl ExportClient {
    fn new() -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("OpenTelemetry export runtime: {e}"))?;
        let timeout = std::env::var("OTEL_EXPORTER_OTLP_TIMEOUT").ok().and_then(|ms| ms.trim().parse().ok());
        Ok(Self { rt, timeout: Duration::from_millis(timeout.unwrap_or(10_000)) })
    }
}

async fn post(request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
    let (mut parts, body) = request.into_parts();
    let host = parts.uri.host().ok_or("the OTLP endpoint has no host")?.to_owned();
    let port = parts.uri.port_u16().unwrap_or(80);
    let authority = parts.uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_else(|| host.clone());
    // Origin-form request line, as to any origin server; the authority goes in `Host`.
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    parts.uri = path.parse()?;
    parts.headers.insert(hyper::header::HOST, authority.parse()?);
    let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    let exchange = async move {
        let resp = sender.send_request(Request::from_parts(parts, Full::new(body))).await?;
        let (parts, body) = resp.into_parts();
        let body = Limited::new(body, MAX_RESPONSE_BYTES).collect().await?.to_bytes();
        Ok::<_, HttpError>(Response::from_parts(parts, body))
    };
    // The connection is driven alongside the exchange and dropped with it.
    tokio::select! {
        resp = exchange => resp,
        end = conn => Err(match end {
            Ok(()) => "the OTLP endpoint closed the connection".into(),
            Err(e) => e.into(),
        }),
    }
}

// `HttpClient` is an `async_trait`; this is its expanded signature (saves the macro).
impl HttpClient for ExportClient {
    fn send_bytes<'life0, 'async_trait>(
        &'life0 self,
        request: Request<Bytes>,
    ) -> Pin<Box<dyn Future<Output = Result<Response<Bytes>, HttpError>> + Send + 'async_trait>>
    where
        'life0: 'async_trait,
        Self: 'async_trait,
    {
        Box::pin(async move {
            self.rt.block_on(async {
                tokio::time::timeout(self.timeout, post(request)).await.map_err(|_| "OTLP export timed out")?
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samplers_parse_as_the_spec_names_them() {
        assert_eq!(SamplerSpec::parse("always_on", None), Ok(SamplerSpec::AlwaysOn));
        assert_eq!(
            SamplerSpec::parse("parentbased_traceidratio", Some(0.25)),
            Ok(SamplerSpec::ParentBased(Box::new(SamplerSpec::TraceIdRatio(0.25))))
        );
        assert_eq!(SamplerSpec::parse("traceidratio", None), Ok(SamplerSpec::TraceIdRatio(1.0)));
        assert!(SamplerSpec::parse("traceidratio", Some(1.5)).is_err());
        assert!(SamplerSpec::parse("jaeger_remote", None).is_err());
    }

    #[test]
    fn only_plain_http_protobuf() {
        assert!(check_protocol("http/protobuf").is_ok());
        assert!(check_protocol("grpc").is_err() && check_protocol("http/json").is_err());
        assert!(check_endpoint("http://127.0.0.1:4318").is_ok());
        assert!(check_endpoint("https://collector:4318").is_err() && check_endpoint("http://").is_err());
    }
}
