use super::*;

#[test]
fn describe_masks_secrets() {
    let c = Config {
        master_key: Some(Sensitive("c2VjcmV0".into())),
        database_url: Some("postgres://u:pw@h/db".into()),
        ..Config::default()
    };
    let d = c.describe();
    assert!(!d.contains("c2VjcmV0") && !d.contains("pw@"), "{d}");
    assert!(d.contains("postgres://u:***@h/db"));
}

#[test]
fn bad_values_name_the_key() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("PORTCULLIS_BIND", "not-an-address");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(err.contains("bind (PORTCULLIS_BIND)") && err.contains("from the environment"), "{err}");
        Ok(())
    });
}

#[test]
fn otel_variables_set_their_keys_and_win() {
    figment::Jail::expect_with(|jail| {
        jail.set_env("PORTCULLIS_OTEL_SERVICE_NAME", "from-portcullis");
        jail.set_env("OTEL_SERVICE_NAME", "from-otel");
        jail.set_env("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318");
        jail.set_env("OTEL_TRACES_SAMPLER", "parentbased_traceidratio");
        jail.set_env("OTEL_TRACES_SAMPLER_ARG", "0.5");
        let c = Config::load(None).expect("loads");
        assert_eq!(c.otel_service_name, "from-otel");
        let s = c.otel_settings().expect("export on");
        assert_eq!(s.endpoint, "http://127.0.0.1:4318");
        assert_eq!(
            s.sampler,
            portcullis_observability::SamplerSpec::ParentBased(Box::new(
                portcullis_observability::SamplerSpec::TraceIdRatio(0.5)
            ))
        );
        jail.set_env("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc");
        let err = Config::load(None).unwrap_err().to_string();
        assert!(err.contains("otel_protocol (OTEL_EXPORTER_OTLP_PROTOCOL or PORTCULLIS_OTEL_PROTOCOL)"), "{err}");
        Ok(())
    });
    assert!(Config::default().otel_settings().is_none(), "export is off by default");
}

#[test]
fn file_errors_name_the_file_not_a_variable() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("p.toml", "max_secret_byte = 1")?;
        let err = Config::load(Some(Path::new("p.toml"))).unwrap_err().to_string();
        assert!(err.contains("max_secret_byte: unknown field"), "{err}");
        assert!(err.contains("p.toml") && !err.contains("PORTCULLIS_MAX_SECRET_BYTE"), "{err}");
        Ok(())
    });
}
