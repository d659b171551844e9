//! Aisha's care and support plan in the demo: version 1 agreed last winter and superseded,
//! version 2 agreed after her latest review and in use, with consent to share it with her mum
//! and the out-of-hours GP. Synthetic, like all demo data.

use carethread_domain::plan::consent::{ConsentDetails, ConsentGiven, ShareScope, ShareWith};
use carethread_domain::plan::lifecycle::{AgreedHow, Agreement, PersonAgreement};
use carethread_domain::plan::{
    Achievement, CrisisContact, Goal, Mandate, MandateKind, PhoneNumber, PlanContent, Responsibility, Step, Treatment,
};
use carethread_domain::tasks::Owner;
use carethread_domain::themes::{Theme, Voice};
use carethread_domain::{PersonId, UserId};
use carethread_store::{AuditContext, Db, plans};
use chrono::{Duration, NaiveDate};
use uuid::Uuid;

fn phone(n: &str) -> anyhow::Result<PhoneNumber> {
    PhoneNumber::try_from(n.to_string()).map_err(anyhow::Error::msg)
}

fn first_version(mum: Uuid, staff: Owner, today: NaiveDate) -> anyhow::Result<PlanContent> {
    let mut plan = PlanContent::default();
    plan.goals.push(Goal {
        id: Uuid::now_v7(),
        what_matters: "Having my own friends, not just Mum's friends.".into(),
        achieve: "Go to the Saturday café at the library".into(),
        voice: Voice::OwnWords,
        steps: vec![
            Step {
                what: "Practise the bus trip at a quiet time".into(),
                who: Owner::Member(mum),
                who_name: "Samira Karimi (Mum)".into(),
                by: Some(today - Duration::days(100)),
            },
            Step {
                what: "Ask the library about a taster session".into(),
                who: Owner::Person,
                who_name: "Aisha Karimi".into(),
                by: Some(today + Duration::days(10)),
            },
        ],
        commitment: Some("I will try the bus on my own once a week.".into()),
        themes: vec![Theme::JoiningIn],
        problems: vec![],
        achievement: Achievement::Working,
        revision: 1,
    });
    plan.management.treatments.push(Treatment { text: "Sertraline 50 mg each morning".into(), code: None });
    plan.management.self_management =
        vec!["Keep my mood diary on my phone".into(), "Walk to the park when I feel tense".into()];
    plan.management.responsibilities.push(Responsibility {
        who: staff,
        who_name: "Priya Nair".into(),
        what: "Check in by phone every Tuesday".into(),
    });
    plan.escalation.warning_signs = vec!["Stops answering her phone".into(), "Stays in her room all day".into()];
    plan.escalation.what_helps = vec!["Quiet, one person talking at a time".into(), "Her cat, Biscuit".into()];
    plan.escalation.what_to_do =
        vec!["Ring Mum first".into(), "If Aisha talks about hurting herself, ring the crisis line".into()];
    plan.escalation.what_not_to_do = vec!["Do not raise your voice or stand over her".into()];
    plan.escalation.contacts = vec![
        CrisisContact {
            name: "Samira Karimi".into(),
            role: "Mum".into(),
            phone: phone("07700 900461")?,
            hours: "Any time".into(),
        },
        CrisisContact {
            name: "Westmere crisis line".into(),
            role: "Mental health crisis team".into(),
            phone: phone("0800 000 0145")?,
            hours: "Any time".into(),
        },
    ];
    Ok(plan)
}

pub async fn load(
    db: &Db,
    ctx: &AuditContext,
    person: PersonId,
    mum: Uuid,
    key_worker: Option<UserId>,
    today: NaiveDate,
) -> anyhow::Result<()> {
    let staff = key_worker.map(Owner::Staff).unwrap_or(Owner::Person);
    let agreed = |on: NaiveDate, how| Agreement {
        on,
        person: PersonAgreement::Themselves(how),
        others: Some("Samira Karimi (Mum) and Priya Nair (key worker)".into()),
    };
    let v1 = first_version(mum, staff, today)?;
    plans::save_draft(db, ctx, person, 0, &v1, "wrote the first plan")
        .await?
        .map_err(|_| anyhow::anyhow!("demo plan clash"))?;
    plans::agree(db, ctx, person, 1, &agreed(today - Duration::days(300), AgreedHow::InPerson))
        .await?
        .map_err(|_| anyhow::anyhow!("demo plan clash"))?;
    plans::activate(db, ctx, person, 1).await?;

    let mut v2 = v1.clone();
    v2.goals[0].steps[0].by = Some(today - Duration::days(60));
    v2.goals.push(Goal {
        id: Uuid::now_v7(),
        what_matters: "Feeling safe when I am online.".into(),
        achieve: "Know what to do if someone online asks me for money".into(),
        voice: Voice::WithPerson,
        steps: vec![Step {
            what: "Go to an online-safety session with Ben".into(),
            who: staff,
            who_name: "Priya Nair".into(),
            by: Some(today + Duration::days(20)),
        }],
        commitment: Some("I will tell Mum or Ben if anyone asks me for money.".into()),
        themes: vec![Theme::KeepingSafe],
        problems: vec![],
        achievement: Achievement::Working,
        revision: 1,
    });
    v2.escalation.crisis_preferences =
        Some("If I have to go to hospital I want Mum with me, and my headphones.".into());
    v2.escalation.mandates.push(Mandate {
        kind: MandateKind::LpaProperty,
        says: "Samira Karimi is attorney for property and money".into(),
        kept_at: "Blue folder in the kitchen drawer at home".into(),
    });
    v2.review_months = 6u8.try_into().map_err(anyhow::Error::msg)?;
    plans::save_draft(db, ctx, person, 0, &v2, "revised the plan at the review")
        .await?
        .map_err(|_| anyhow::anyhow!("demo plan clash"))?;
    plans::agree(db, ctx, person, 1, &agreed(today - Duration::days(30), AgreedHow::WithAnAdvocate))
        .await?
        .map_err(|_| anyhow::anyhow!("demo plan clash"))?;
    plans::activate(db, ctx, person, 2).await?;

    let consent = |with, scope, purpose: &str, given| ConsentDetails {
        with,
        scope,
        purpose: purpose.into(),
        from: today - Duration::days(300),
        until: None,
        given,
    };
    plans::add_consent(
        db,
        ctx,
        person,
        &consent(
            ShareWith::Member { id: mum, name: "Samira Karimi (Mum)".into() },
            ShareScope::WholePlan,
            "So Mum can help with the steps she supports",
            ConsentGiven::Written,
        ),
    )
    .await?;
    plans::add_consent(
        db,
        ctx,
        person,
        &consent(
            ShareWith::Role("Out-of-hours GP".into()),
            ShareScope::EscalationOnly,
            "So a doctor who does not know Aisha knows what helps in a crisis",
            ConsentGiven::Verbal,
        ),
    )
    .await?;
    Ok(())
}
