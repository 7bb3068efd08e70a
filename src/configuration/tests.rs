use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_need_no_environment() {
    let s = Settings::load_from(env(&[("YIZHAN_CONFIG_DIR", "/nonexistent")])).unwrap();
    assert_eq!(s.profile, Profile::Development);
    assert_eq!(s.server.bind, "127.0.0.1:8080");
    assert_eq!(s.database.url.expose_secret(), "sqlite://data/yizhan.db");
    assert!(s.database.migrate_on_start);
}

#[test]
fn short_and_nested_environment_variables_override() {
    let s = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("DATABASE_URL", "postgres://u:p@localhost/y"),
        ("YIZHAN_BIND", "0.0.0.0:9000"),
        ("YIZHAN__SERVER__ALLOW_PUBLIC_DEVELOPMENT", "true"),
        ("YIZHAN__DATABASE__POOL_SIZE", "3"),
        ("YIZHAN__DATABASE__MIGRATE_ON_START", "false"),
    ]))
    .unwrap();
    assert_eq!(s.database.url.expose_secret(), "postgres://u:p@localhost/y");
    assert_eq!(s.server.bind, "0.0.0.0:9000");
    assert_eq!(s.database.pool_size, 3);
    assert!(!s.database.migrate_on_start);
}

#[test]
fn production_refuses_the_development_secret() {
    let err = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("YIZHAN_PROFILE", "production"),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("YIZHAN_JWT_SECRET"), "{err}");
    let ok = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("YIZHAN_PROFILE", "production"),
        ("YIZHAN_JWT_SECRET", "0123456789abcdef0123456789abcdef-prod"),
    ]))
    .unwrap();
    assert_eq!(ok.log.format, LogFormat::Json);
}

#[test]
fn unknown_profile_is_a_clear_error() {
    let err = Settings::load_from(env(&[("YIZHAN_PROFILE", "staging")])).unwrap_err();
    assert!(err.to_string().contains("staging"));
}

#[test]
fn check_config_masks_secrets() {
    let s = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("DATABASE_URL", "postgres://yizhan:hunter2@db:5432/yizhan"),
    ]))
    .unwrap();
    let out = s.redacted_toml();
    assert!(!out.contains("hunter2"));
    assert!(!out.contains(DEVELOPMENT_JWT_SECRET));
    assert!(out.contains("postgres://yizhan:********@db:5432/yizhan"));
}

#[test]
fn mask_leaves_urls_without_password_alone() {
    assert_eq!(
        mask_url_password("sqlite://data/x.db"),
        "sqlite://data/x.db"
    );
    assert_eq!(mask_url_password("postgres://u@h/d"), "postgres://u@h/d");
}

#[test]
fn development_listens_only_on_loopback_unless_allowed() {
    for bind in [
        "127.0.0.1:8080",
        "[::1]:8080",
        "localhost:8080",
        "127.0.0.2:1",
    ] {
        Settings::load_from(env(&[
            ("YIZHAN_CONFIG_DIR", "/nonexistent"),
            ("YIZHAN_BIND", bind),
        ]))
        .unwrap_or_else(|e| panic!("{bind}: {e}"));
    }
    for bind in ["0.0.0.0:8080", "[::]:8080", "10.1.2.3:80", "example.org:80"] {
        let err = Settings::load_from(env(&[
            ("YIZHAN_CONFIG_DIR", "/nonexistent"),
            ("YIZHAN_BIND", bind),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("development") && err.contains("allow_public_development"),
            "{err}"
        );
    }
    Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("YIZHAN_BIND", "0.0.0.0:8080"),
        ("YIZHAN__SERVER__ALLOW_PUBLIC_DEVELOPMENT", "true"),
    ]))
    .unwrap();
}

#[test]
fn production_holds_retired_keys_to_the_same_rules() {
    let good = "0123456789abcdef0123456789abcdef-prod";
    let with_retired = |retired: &str| {
        Settings::load_from(env(&[
            ("YIZHAN_CONFIG_DIR", "/nonexistent"),
            ("YIZHAN_PROFILE", "production"),
            ("YIZHAN_JWT_SECRET", good),
            ("YIZHAN__AUTH__JWT_RETIRED_KEYS", retired),
        ]))
    };
    let dev = format!("old={DEVELOPMENT_JWT_SECRET}");
    for retired in [dev.as_str(), "old=x", "old=short but not blank"] {
        let err = with_retired(retired).unwrap_err().to_string();
        assert!(err.contains("retired JWT key `old`"), "{retired}: {err}");
    }
    with_retired("old=fedcba9876543210fedcba9876543210-old").unwrap();
    assert!(with_retired("old=                                        ").is_err());
    // A current secret of spaces is no secret, whatever its length.
    let err = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("YIZHAN_PROFILE", "production"),
        ("YIZHAN_JWT_SECRET", &" ".repeat(40)),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("YIZHAN_JWT_SECRET"), "{err}");
    // Development refuses an empty-looking retired key as well.
    let err = Settings::load_from(env(&[
        ("YIZHAN_CONFIG_DIR", "/nonexistent"),
        ("YIZHAN__AUTH__JWT_RETIRED_KEYS", "old=   "),
    ]))
    .unwrap_err();
    assert!(err.to_string().contains("jwt_retired_keys"), "{err}");
}

#[test]
fn the_image_defaults_to_production() {
    let dockerfile = include_str!("../../Dockerfile");
    assert!(
        dockerfile
            .lines()
            .any(|l| l.contains("YIZHAN_PROFILE=production") && !l.trim_start().starts_with('#')),
        "the Dockerfile must set YIZHAN_PROFILE=production outside a comment"
    );
}
