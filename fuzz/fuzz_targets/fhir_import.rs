//! A case another system sends (the entries of a transaction Bundle): any bytes must give the
//! domain's forms or an OperationOutcome, never a panic. The same bytes go to every parser an
//! import uses, references are rewritten as a transaction rewrites them, and a Goal and CarePlan
//! read from the bytes are put together and checked by the goal form's rules.
#![no_main]

use carethread_domain::plan::GoalChoices;
use carethread_domain::tasks::Owner;
use carethread_fhir::{bundle, careplan, careteam, condition, directory};
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let Ok(mut value) = carethread_fhir::parse::json(data) else { return };
    let map = HashMap::from([("urn:uuid:p".to_string(), format!("Patient/{}", Uuid::nil()))]);
    let _ = bundle::rewrite_references(&mut value, "Bundle.entry[0].resource", &map);
    if let Ok(form) = condition::from_fhir(value.clone()) {
        let _ = form.input.parse();
    }
    if let Ok(form) = directory::member_from_fhir(value.clone()) {
        let _ = form.input.parse();
    }
    let _ = careteam::circle_from_fhir(value.clone());
    let goal = careplan::goal_from_fhir(value.clone());
    let plan = careplan::part_from_fhir(value);
    let supporters = vec![(Owner::Person, "The person".to_string())];
    if let Ok(careplan::PartForm::Management(_, input)) = &plan {
        let _ = input.parse(&supporters);
    }
    if let Ok(careplan::PartForm::Escalation(_, input)) = &plan {
        let _ = input.parse();
    }
    if let (Ok(goal), Ok(careplan::PartForm::CareAndSupport(plan))) = (goal, plan) {
        let id = Uuid::nil();
        if let Ok(inputs) = careplan::goal_inputs(&plan, vec![(id, goal)], id) {
            let choices = GoalChoices { supporters: &supporters, problems: &[], written_by_person: false };
            for (id, input) in inputs {
                let _ = input.parse(id, &choices);
            }
        }
    }
});
