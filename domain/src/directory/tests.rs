//! The configuration's rules, one test each.

use super::*;
use crate::actor::Actor;
use crate::form::{FieldDefinitionError, FieldKind};
use chrono::{DateTime, TimeZone, Utc};
use cqrs_es::test::TestFramework;
use uuid::Uuid;

type DirectoryTest = TestFramework<Directory>;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 7, 0, 0).unwrap()
}

fn admin() -> Actor {
    Actor::staff(UserId(Uuid::from_u128(1)), Role::Administrator)
}

fn kari() -> UserId {
    UserId(Uuid::from_u128(2))
}

fn support() -> QueueId {
    QueueId(Uuid::from_u128(10))
}

fn create_kari(username: &str) -> DirectoryCommand {
    DirectoryCommand::CreateUser {
        user_id: kari(),
        username: Username::parse(username).unwrap(),
        display_name: Name::parse("Kari Nordmann").unwrap(),
        role: Role::Agent,
        max_concurrent_chats: 3,
        by: admin(),
        at: at(),
    }
}

fn kari_created() -> DirectoryEvent {
    DirectoryEvent::UserCreated {
        user_id: kari(),
        username: Username::parse("kari").unwrap(),
        display_name: Name::parse("Kari Nordmann").unwrap(),
        role: Role::Agent,
        max_concurrent_chats: 3,
        by: admin(),
        at: at(),
    }
}

fn support_created() -> DirectoryEvent {
    DirectoryEvent::QueueCreated {
        queue_id: support(),
        name: Name::parse("Support").unwrap(),
        name_en: None,
        transcript_retention_days: Some(90),
        offer_timeout_seconds: None,
        by: admin(),
        at: at(),
    }
}

fn add_kari_to_support() -> DirectoryCommand {
    DirectoryCommand::AddQueueMember {
        queue_id: support(),
        user_id: kari(),
        by: admin(),
        at: at(),
    }
}

#[test]
fn an_administrator_creates_a_user() {
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(create_kari("Kari"))
        .then_expect_events(vec![kari_created()]);
}

#[test]
fn an_agent_cannot_change_the_configuration() {
    let mut command = create_kari("kari");
    if let DirectoryCommand::CreateUser { by, .. } = &mut command {
        *by = Actor::staff(kari(), Role::Supervisor);
    }
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(command)
        .then_expect_error(DirectoryError::Forbidden);
}

#[test]
fn usernames_are_unique() {
    let mut command = create_kari("kari");
    if let DirectoryCommand::CreateUser { user_id, .. } = &mut command {
        *user_id = UserId(Uuid::from_u128(3));
    }
    DirectoryTest::with(NoServices)
        .given(vec![kari_created()])
        .when(command)
        .then_expect_error(DirectoryError::UsernameTaken);
}

#[test]
fn usernames_must_be_plain() {
    assert_eq!(
        Username::parse("kari nordmann"),
        Err(DirectoryError::BadUsername)
    );
    assert_eq!(Username::parse("k"), Err(DirectoryError::BadUsername));
}

#[test]
fn capacity_is_bounded() {
    DirectoryTest::with(NoServices)
        .given(vec![kari_created()])
        .when(DirectoryCommand::UpdateUser {
            user_id: kari(),
            changes: UserChanges {
                max_concurrent_chats: Some(0),
                ..UserChanges::default()
            },
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BadCapacity);
}

#[test]
fn queue_names_are_unique() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::CreateQueue {
            queue_id: QueueId(Uuid::from_u128(11)),
            name: Name::parse("Support").unwrap(),
            name_en: None,
            transcript_retention_days: None,
            offer_timeout_seconds: None,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NameTaken);
}

#[test]
fn a_member_must_be_a_known_user() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(add_kari_to_support())
        .then_expect_error(DirectoryError::NoSuchUser);
}

#[test]
fn adding_a_member_twice_records_it_once() {
    let added = DirectoryEvent::QueueMemberAdded {
        queue_id: support(),
        user_id: kari(),
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given(vec![kari_created(), support_created(), added])
        .when(add_kari_to_support())
        .then_expect_events(vec![]);
}

#[test]
fn a_category_belongs_to_an_existing_queue() {
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::CreateCategory {
            category_id: CategoryId(Uuid::from_u128(20)),
            name: Name::parse("Faktura").unwrap(),
            name_en: None,
            queue_id: support(),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchQueue);
}

#[test]
fn a_bad_form_field_is_refused() {
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::DefineFormField {
            field: FormField {
                key: "product".into(),
                label: "Produkt".into(),
                label_en: None,
                kind: FieldKind::Select,
                required: true,
                options: vec![],
                options_en: vec![],
                max_length: 50,
            },
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BadField(FieldDefinitionError::BadOptions));
}

fn product_field(label_en: Option<&str>) -> FormField {
    FormField {
        key: "product".into(),
        label: "Produkt".into(),
        label_en: label_en.map(Into::into),
        kind: FieldKind::Text,
        required: false,
        options: vec![],
        options_en: vec![],
        max_length: 50,
    }
}

#[test]
fn a_form_field_carries_an_english_label() {
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::DefineFormField {
            field: product_field(Some("Product")),
            by: admin(),
            at: at(),
        })
        .then_expect_events(vec![DirectoryEvent::FormFieldDefined {
            field: product_field(Some("Product")),
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn an_english_label_follows_the_rules_of_a_label() {
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::DefineFormField {
            field: product_field(Some("   ")),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BadField(FieldDefinitionError::BadLabel(
            crate::text::TextError::Empty,
        )));
}

#[test]
fn a_field_defined_before_english_labels_existed_has_none() {
    let old = serde_json::json!({
        "key": "email", "label": "E-post", "kind": "email", "required": true,
        "options": [], "max_length": 100
    });
    let field: FormField = serde_json::from_value(old).expect("an old event's field");
    assert_eq!(field.label_en, None);
}

#[test]
fn a_queue_cannot_overflow_to_itself() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::ConfigureQueue {
            queue_id: support(),
            settings: QueueSettings {
                no_agent_notice_after_seconds: Some(60),
                overflow_queue_id: Some(support()),
                service_level_seconds: None,
                transcript_retention_days: None,
                offer_timeout_seconds: None,
                ..QueueSettings::default()
            },
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::OverflowToItself);
}

fn target(percent: u8) -> DirectoryCommand {
    DirectoryCommand::ConfigureQueue {
        queue_id: support(),
        settings: QueueSettings {
            service_level_target_percent: Some(percent),
            ..QueueSettings::default()
        },
        by: admin(),
        at: at(),
    }
}

#[test]
fn a_service_level_target_is_a_share_of_chats() {
    for percent in [0, 101] {
        DirectoryTest::with(NoServices)
            .given(vec![support_created()])
            .when(target(percent))
            .then_expect_error(DirectoryError::BadServiceLevelTarget);
    }
}

#[test]
fn a_queue_aims_at_the_service_level_target_it_is_given() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(target(90))
        .then_expect_events(vec![DirectoryEvent::QueueConfigured {
            queue_id: support(),
            settings: QueueSettings {
                service_level_target_percent: Some(90),
                ..QueueSettings::default()
            },
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn a_queue_configured_before_targets_existed_has_none() {
    let old = serde_json::json!({
        "no_agent_notice_after_seconds": null,
        "overflow_queue_id": null,
        "service_level_seconds": 30
    });
    let settings: QueueSettings = serde_json::from_value(old).expect("an old event's settings");
    assert_eq!(settings.service_level_target_percent, None);
    assert_eq!(settings.service_level_seconds, Some(30));
}

#[test]
fn a_queue_overflows_only_to_an_existing_queue() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::ConfigureQueue {
            queue_id: support(),
            settings: QueueSettings {
                no_agent_notice_after_seconds: Some(60),
                overflow_queue_id: Some(QueueId(Uuid::from_u128(99))),
                service_level_seconds: None,
                transcript_retention_days: None,
                offer_timeout_seconds: None,
                ..QueueSettings::default()
            },
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchQueue);
}

#[test]
fn ids_are_not_reused_across_kinds() {
    DirectoryTest::with(NoServices)
        .given(vec![kari_created()])
        .when(DirectoryCommand::CreateQueue {
            queue_id: QueueId(kari().0),
            name: Name::parse("Salg").unwrap(),
            name_en: None,
            transcript_retention_days: None,
            offer_timeout_seconds: None,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::IdInUse);
}

fn admin_created() -> DirectoryEvent {
    DirectoryEvent::UserCreated {
        user_id: UserId(Uuid::from_u128(1)),
        username: Username::parse("admin").unwrap(),
        display_name: Name::parse("Administrator").unwrap(),
        role: Role::Administrator,
        max_concurrent_chats: 3,
        by: Actor::System,
        at: at(),
    }
}

fn change_admin(changes: UserChanges) -> DirectoryCommand {
    DirectoryCommand::UpdateUser {
        user_id: UserId(Uuid::from_u128(1)),
        changes,
        by: admin(),
        at: at(),
    }
}

#[test]
fn the_only_administrator_cannot_deactivate_themself() {
    DirectoryTest::with(NoServices)
        .given(vec![admin_created()])
        .when(change_admin(UserChanges {
            active: Some(false),
            ..UserChanges::default()
        }))
        .then_expect_error(DirectoryError::LastAdministrator);
}

#[test]
fn the_only_administrator_cannot_give_up_the_role() {
    DirectoryTest::with(NoServices)
        .given(vec![admin_created()])
        .when(change_admin(UserChanges {
            role: Some(Role::Supervisor),
            ..UserChanges::default()
        }))
        .then_expect_error(DirectoryError::LastAdministrator);
}

#[test]
fn an_administrator_steps_down_once_another_one_is_active() {
    let kari_promoted = DirectoryEvent::UserUpdated {
        user_id: kari(),
        changes: UserChanges {
            role: Some(Role::Administrator),
            ..UserChanges::default()
        },
        by: admin(),
        at: at(),
    };
    let step_down = UserChanges {
        role: Some(Role::Agent),
        ..UserChanges::default()
    };
    DirectoryTest::with(NoServices)
        .given(vec![admin_created(), kari_created(), kari_promoted])
        .when(change_admin(step_down.clone()))
        .then_expect_events(vec![DirectoryEvent::UserUpdated {
            user_id: UserId(Uuid::from_u128(1)),
            changes: step_down,
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn a_deactivated_administrator_does_not_count_as_the_one_remaining() {
    let kari_promoted_then_deactivated = DirectoryEvent::UserUpdated {
        user_id: kari(),
        changes: UserChanges {
            role: Some(Role::Administrator),
            active: Some(false),
            ..UserChanges::default()
        },
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given(vec![
            admin_created(),
            kari_created(),
            kari_promoted_then_deactivated,
        ])
        .when(change_admin(UserChanges {
            active: Some(false),
            ..UserChanges::default()
        }))
        .then_expect_error(DirectoryError::LastAdministrator);
}

#[test]
fn a_users_queues_are_those_they_are_a_member_of() {
    let mut directory = Directory::default();
    for event in [
        kari_created(),
        support_created(),
        DirectoryEvent::QueueMemberAdded {
            queue_id: support(),
            user_id: kari(),
            by: admin(),
            at: at(),
        },
    ] {
        directory.apply(event);
    }
    assert_eq!(
        directory.queues_of(kari()),
        std::collections::BTreeSet::from([support()])
    );
    assert!(directory.queues_of(UserId(Uuid::from_u128(1))).is_empty());
}

#[test]
fn a_queue_keeps_transcripts_between_one_day_and_ten_years_or_until_erased() {
    for days in [Some(0), Some(MAX_RETENTION_DAYS + 1)] {
        DirectoryTest::with(NoServices)
            .given(vec![support_created()])
            .when(DirectoryCommand::ConfigureQueue {
                queue_id: support(),
                settings: QueueSettings {
                    transcript_retention_days: days,
                    ..QueueSettings::default()
                },
                by: admin(),
                at: at(),
            })
            .then_expect_error(DirectoryError::BadRetention);
    }
    DirectoryTest::with(NoServices)
        .given(vec![])
        .when(DirectoryCommand::CreateQueue {
            queue_id: support(),
            name: Name::parse("Support").unwrap(),
            name_en: None,
            transcript_retention_days: Some(0),
            offer_timeout_seconds: None,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BadRetention);
}

#[test]
fn a_queue_created_before_retention_existed_keeps_its_transcripts() {
    let mut stored = serde_json::to_value(support_created()).unwrap();
    stored["QueueCreated"]
        .as_object_mut()
        .unwrap()
        .remove("transcript_retention_days");
    let event: DirectoryEvent = serde_json::from_value(stored).unwrap();
    assert!(matches!(
        event,
        DirectoryEvent::QueueCreated {
            transcript_retention_days: None,
            ..
        }
    ));
}

#[test]
fn an_offer_lasts_between_five_seconds_and_ten_minutes() {
    for seconds in [Some(MIN_OFFER_SECONDS - 1), Some(MAX_OFFER_SECONDS + 1)] {
        DirectoryTest::with(NoServices)
            .given(vec![support_created()])
            .when(DirectoryCommand::ConfigureQueue {
                queue_id: support(),
                settings: QueueSettings {
                    offer_timeout_seconds: seconds,
                    ..QueueSettings::default()
                },
                by: admin(),
                at: at(),
            })
            .then_expect_error(DirectoryError::BadOfferTimeout);
    }
}

fn code(word: &str) -> crate::Code {
    crate::Code::parse(word).unwrap()
}

#[test]
fn pause_reasons_are_defined_but_the_built_in_ones_are_not() {
    let lunch = DirectoryCommand::DefinePauseReason {
        reason: code("lunch"),
        label: Name::parse("Lunch").unwrap(),
        by: admin(),
        at: at(),
    };
    let defined = DirectoryEvent::PauseReasonDefined {
        reason: code("lunch"),
        label: Name::parse("Lunch").unwrap(),
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(lunch)
        .then_expect_events(vec![defined.clone()]);
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::DefinePauseReason {
            reason: code("no_answer"),
            label: Name::parse("Gone").unwrap(),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BuiltInPauseReason);
    let mut directory = Directory::default();
    directory.apply(defined);
    assert_eq!(directory.pause_reasons(), BTreeSet::from([code("lunch")]));
}

#[test]
fn a_queues_wrap_up_is_its_time_its_codes_and_whether_one_is_required() {
    let configured = DirectoryEvent::QueueConfigured {
        queue_id: support(),
        settings: QueueSettings {
            wrap_up_seconds: Some(45),
            wrap_up_code_required: true,
            ..QueueSettings::default()
        },
        by: admin(),
        at: at(),
    };
    let billing = DirectoryEvent::WrapUpCodeDefined {
        queue_id: support(),
        code: code("billing"),
        label: Name::parse("Billing").unwrap(),
        by: admin(),
        at: at(),
    };
    let mut directory = Directory::default();
    for event in [support_created(), configured, billing] {
        directory.apply(event);
    }
    let policy = &directory.wrap_up_policies()[&support()];
    assert_eq!(policy.seconds, Some(45));
    assert!(policy.code_required);
    assert_eq!(policy.codes, BTreeSet::from([code("billing")]));
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::RemoveWrapUpCode {
            queue_id: support(),
            code: code("billing"),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchWrapUpCode);
}

#[test]
fn wrap_up_lasts_between_a_second_and_half_an_hour() {
    for seconds in [0, MAX_WRAP_UP_SECONDS + 1] {
        DirectoryTest::with(NoServices)
            .given(vec![support_created()])
            .when(DirectoryCommand::ConfigureQueue {
                queue_id: support(),
                settings: QueueSettings {
                    wrap_up_seconds: Some(seconds),
                    ..QueueSettings::default()
                },
                by: admin(),
                at: at(),
            })
            .then_expect_error(DirectoryError::BadWrapUp);
    }
}

fn canned(id: u128, queue_id: Option<QueueId>, shortcut: &str, by: Actor) -> DirectoryCommand {
    DirectoryCommand::DefineCannedResponse {
        response_id: CannedResponseId(Uuid::from_u128(id)),
        response: CannedResponse {
            queue_id,
            title: Name::parse("Hilsen").unwrap(),
            shortcut: code(shortcut),
            text_nb: crate::text::MessageText::parse("Hei {customer_name}!").unwrap(),
            text_en: None,
        },
        by,
        at: at(),
    }
}

fn canned_defined(command: DirectoryCommand) -> DirectoryEvent {
    let DirectoryCommand::DefineCannedResponse {
        response_id,
        response,
        by,
        at,
    } = command
    else {
        panic!("not a canned response")
    };
    DirectoryEvent::CannedResponseDefined {
        response_id,
        response,
        by,
        at,
    }
}

#[test]
fn supervisors_keep_canned_responses_whose_shortcuts_are_unique_where_they_apply() {
    let supervisor = Actor::staff(UserId(Uuid::from_u128(9)), Role::Supervisor);
    let agent = Actor::staff(kari(), Role::Agent);
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(canned(1, None, "hei", supervisor))
        .then_expect_events(vec![canned_defined(canned(1, None, "hei", supervisor))]);
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(canned(1, None, "hei", agent))
        .then_expect_error(DirectoryError::Forbidden);
    let global = canned_defined(canned(1, None, "hei", supervisor));
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), global.clone()])
        .when(canned(2, None, "hei", supervisor))
        .then_expect_error(DirectoryError::NameTaken);
    // The same shortcut for one queue is its own; redefining the response itself is fine.
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), global.clone()])
        .when(canned(2, Some(support()), "hei", supervisor))
        .then_expect_events(vec![canned_defined(canned(
            2,
            Some(support()),
            "hei",
            supervisor,
        ))]);
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), global])
        .when(canned(1, None, "hei", supervisor))
        .then_expect_events(vec![canned_defined(canned(1, None, "hei", supervisor))]);
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::RemoveCannedResponse {
            response_id: CannedResponseId(Uuid::from_u128(7)),
            by: supervisor,
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchCannedResponse);
}

fn name(text: &str) -> Name {
    Name::parse(text).unwrap()
}

fn sales() -> QueueId {
    QueueId(Uuid::from_u128(11))
}

fn sales_created() -> DirectoryEvent {
    DirectoryEvent::QueueCreated {
        queue_id: sales(),
        name: name("Salg"),
        name_en: Some(name("Sales")),
        transcript_retention_days: None,
        offer_timeout_seconds: None,
        by: admin(),
        at: at(),
    }
}

fn invoice() -> CategoryId {
    CategoryId(Uuid::from_u128(20))
}

fn invoice_in_support() -> DirectoryEvent {
    DirectoryEvent::CategoryCreated {
        category_id: invoice(),
        name: name("Faktura"),
        name_en: Some(name("Invoice")),
        queue_id: support(),
        by: admin(),
        at: at(),
    }
}

fn remove_support(open_chats: u32) -> DirectoryCommand {
    DirectoryCommand::RemoveQueue {
        queue_id: support(),
        open_chats,
        by: admin(),
        at: at(),
    }
}

#[test]
fn a_queue_is_renamed_in_both_languages() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::RenameQueue {
            queue_id: support(),
            name: name("Kundeservice"),
            name_en: Some(name("Customer service")),
            by: admin(),
            at: at(),
        })
        .then_expect_events(vec![DirectoryEvent::QueueRenamed {
            queue_id: support(),
            name: name("Kundeservice"),
            name_en: Some(name("Customer service")),
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn a_queue_cannot_take_another_queues_name() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), sales_created()])
        .when(DirectoryCommand::RenameQueue {
            queue_id: sales(),
            name: name("Support"),
            name_en: None,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NameTaken);
}

#[test]
fn an_empty_queue_no_one_leads_to_is_removed() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(remove_support(0))
        .then_expect_events(vec![DirectoryEvent::QueueRemoved {
            queue_id: support(),
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn a_queue_with_open_chats_stays() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(remove_support(3))
        .then_expect_error(DirectoryError::QueueInUse(QueueUse::OpenChats(3)));
}

#[test]
fn a_queue_a_category_leads_to_stays() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), invoice_in_support()])
        .when(remove_support(0))
        .then_expect_error(DirectoryError::QueueInUse(QueueUse::Categories));
}

#[test]
fn a_queue_another_overflows_to_stays() {
    let sales_overflows_to_support = DirectoryEvent::QueueConfigured {
        queue_id: sales(),
        settings: QueueSettings {
            overflow_queue_id: Some(support()),
            ..QueueSettings::default()
        },
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given(vec![
            support_created(),
            sales_created(),
            sales_overflows_to_support,
        ])
        .when(remove_support(0))
        .then_expect_error(DirectoryError::QueueInUse(QueueUse::OverflowTarget));
}

#[test]
fn a_removed_queue_takes_no_category_and_its_id_is_not_reused() {
    let removed = DirectoryEvent::QueueRemoved {
        queue_id: support(),
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), removed.clone()])
        .when(DirectoryCommand::CreateCategory {
            category_id: invoice(),
            name: name("Faktura"),
            name_en: None,
            queue_id: support(),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchQueue);
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), removed])
        .when(DirectoryCommand::CreateQueue {
            queue_id: support(),
            name: name("Support"),
            name_en: None,
            transcript_retention_days: None,
            offer_timeout_seconds: None,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::IdInUse);
}

#[test]
fn a_category_moves_to_another_queue_under_a_new_name() {
    DirectoryTest::with(NoServices)
        .given(vec![
            support_created(),
            sales_created(),
            invoice_in_support(),
        ])
        .when(DirectoryCommand::UpdateCategory {
            category_id: invoice(),
            name: name("Regning"),
            name_en: Some(name("Bill")),
            queue_id: sales(),
            by: admin(),
            at: at(),
        })
        .then_expect_events(vec![DirectoryEvent::CategoryUpdated {
            category_id: invoice(),
            name: name("Regning"),
            name_en: Some(name("Bill")),
            queue_id: sales(),
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn once_its_category_is_removed_a_queue_can_go() {
    let removed = DirectoryEvent::CategoryRemoved {
        category_id: invoice(),
        by: admin(),
        at: at(),
    };
    DirectoryTest::with(NoServices)
        .given(vec![support_created(), invoice_in_support(), removed])
        .when(remove_support(0))
        .then_expect_events(vec![DirectoryEvent::QueueRemoved {
            queue_id: support(),
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn an_unknown_category_cannot_be_removed() {
    DirectoryTest::with(NoServices)
        .given(vec![support_created()])
        .when(DirectoryCommand::RemoveCategory {
            category_id: invoice(),
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::NoSuchCategory);
}

fn field_defined(key: &str) -> DirectoryEvent {
    DirectoryEvent::FormFieldDefined {
        field: FormField {
            key: key.into(),
            ..product_field(None)
        },
        by: admin(),
        at: at(),
    }
}

fn order(keys: &[&str]) -> DirectoryCommand {
    DirectoryCommand::OrderFormFields {
        keys: keys.iter().map(|k| k.to_string()).collect(),
        by: admin(),
        at: at(),
    }
}

#[test]
fn the_form_is_reordered() {
    DirectoryTest::with(NoServices)
        .given(vec![field_defined("email"), field_defined("phone")])
        .when(order(&["phone", "email"]))
        .then_expect_events(vec![DirectoryEvent::FormFieldsOrdered {
            keys: vec!["phone".into(), "email".into()],
            by: admin(),
            at: at(),
        }]);
}

#[test]
fn an_order_names_every_field_once() {
    for keys in [
        &["phone"][..],
        &["phone", "phone"],
        &["phone", "email", "extra"],
        &["phone", "extra"],
    ] {
        DirectoryTest::with(NoServices)
            .given(vec![field_defined("email"), field_defined("phone")])
            .when(order(keys))
            .then_expect_error(DirectoryError::BadFieldOrder);
    }
}

#[test]
fn english_options_name_each_option() {
    let field = FormField {
        kind: FieldKind::Select,
        options: vec!["Mobil".into(), "Bredbånd".into()],
        options_en: vec!["Mobile".into()],
        ..product_field(None)
    };
    DirectoryTest::with(NoServices)
        .given_no_previous_events()
        .when(DirectoryCommand::DefineFormField {
            field,
            by: admin(),
            at: at(),
        })
        .then_expect_error(DirectoryError::BadField(
            FieldDefinitionError::BadEnglishOptions,
        ));
}
