//! Property tests: no input, however broken, makes decoding or validation
//! panic; every refusal carries at least one problem.

use carepulse_model::{decode_submission, validate, Catalog, Limits, ValidationContext};
use proptest::prelude::*;
use serde_json::{json, Value};

fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        Catalog::from_toml(include_str!(
            "../../../deploy/catalog/general-hospital.toml"
        ))
        .unwrap()
    })
}

fn run(body: &[u8]) {
    let limits = Limits::default();
    let ctx = ValidationContext {
        catalog: catalog(),
        now: "2026-11-21T12:00:00Z".parse().unwrap(),
        limits: &limits,
    };
    if let Err(problems) = decode_submission(body).and_then(|s| validate(s, &ctx)) {
        assert!(!problems.is_empty(), "refused without a reason");
    }
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z_]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "overall",
            "kiosk",
            "stmarys-general",
            "ed-waiting-kiosk",
            "happy",
            "dont_know",
            "2026-11-21T09:00:00Z",
            "ed-visit",
            "triage",
            "rating_0_10",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "event_id",
                    "occurred_at",
                    "responded_at",
                    "facility",
                    "touchpoint",
                    "channel",
                    "answers",
                    "overall",
                    "items",
                    "question",
                    "value",
                    "scale",
                    "journey",
                    "stage",
                    "comment",
                    "locale",
                    "subject_ref",
                    "extra",
                ])
                .prop_map(str::to_owned),
                inner,
                0..10,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Valid submissions with one field replaced by something random.
fn mutated_submission() -> impl Strategy<Value = Value> {
    let fields = prop::sample::select(vec![
        "event_id",
        "occurred_at",
        "responded_at",
        "facility",
        "department",
        "journey",
        "stage",
        "touchpoint",
        "experience",
        "channel",
        "respondent_role",
        "subject_ref",
        "answers",
        "comment",
        "locale",
        "consent_to_contact",
    ]);
    (fields, any_json()).prop_map(|(field, value)| {
        let mut body = json!({
            "occurred_at": "2026-11-21T09:00:00Z",
            "facility": "stmarys-general",
            "touchpoint": "ed-waiting-kiosk",
            "channel": "kiosk",
            "answers": { "overall": { "question": "overall", "value": "happy" } }
        });
        body[field] = value;
        body
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        run(&bytes);
    }

    #[test]
    fn random_json_never_panics(value in any_json()) {
        run(value.to_string().as_bytes());
    }

    #[test]
    fn mutated_submissions_never_panic(value in mutated_submission()) {
        run(value.to_string().as_bytes());
    }
}
