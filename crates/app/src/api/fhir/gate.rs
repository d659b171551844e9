//! The access policy as the FHIR API asks it: about one person's record at a time, with each
//! record's ties to the caller looked up once per request however many rows name that person.

use super::{Caller, FhirError};
use crate::state::AppState;
use axum::http::StatusCode;
use carethread_domain::PersonId;
use carethread_domain::policy::{Action, Decision, Target, decide};
use carethread_fhir::outcome::{IssueCode, OperationOutcome};
use carethread_fhir::search::Ref;
use carethread_store::{access, people};
use std::collections::HashMap;

pub struct Gate<'a> {
    state: &'a AppState,
    caller: &'a Caller,
    targets: HashMap<PersonId, Option<Target>>,
}

impl<'a> Gate<'a> {
    pub fn new(state: &'a AppState, caller: &'a Caller) -> Self {
        Gate { state, caller, targets: HashMap::new() }
    }

    async fn target(&mut self, person: PersonId) -> Result<Option<&Target>, FhirError> {
        if !self.targets.contains_key(&person) {
            let today = crate::web::current_date();
            let t = access::target(&self.state.db, &self.caller.principal, person, today).await?;
            self.targets.insert(person, t);
        }
        Ok(self.targets.get(&person).and_then(Option::as_ref))
    }

    /// Looks up, in one query, everything the policy needs about these people, so that the
    /// rows of a search are each checked without a query of their own.
    pub async fn prefetch(&mut self, people: impl IntoIterator<Item = PersonId>) -> Result<(), FhirError> {
        let mut wanted: Vec<PersonId> = people.into_iter().filter(|p| !self.targets.contains_key(p)).collect();
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(());
        }
        let today = crate::web::current_date();
        let found = access::targets(&self.state.db, &self.caller.principal, &wanted, today).await?;
        for person in wanted {
            self.targets.insert(person, None);
        }
        for t in found {
            self.targets.insert(t.person_id, Some(t));
        }
        Ok(())
    }

    /// Takes facts about people found by a query that read them anyway (a search that fetched
    /// them with its rows), so that the policy decides on those people without asking again.
    pub fn know(&mut self, facts: impl IntoIterator<Item = Target>) {
        for t in facts {
            self.targets.insert(t.person_id, Some(t));
        }
    }

    /// Whether the policy lets the caller do `action` on this person's record. For rows of a
    /// search: a refusal just leaves the row out.
    pub async fn allows(&mut self, person: PersonId, action: Action) -> Result<bool, FhirError> {
        let principal = self.caller.principal.clone();
        Ok(self.target(person).await?.is_some_and(|t| decide(&principal, action, Some(t)).is_allowed()))
    }

    /// For a request about one named resource: allowed, or refused and audited. A caller who
    /// may read the record but not do this is told so (403); anyone else learns nothing, not
    /// even that the resource exists (404).
    pub async fn admit(&mut self, person: PersonId, action: Action, resource: &str) -> Result<(), FhirError> {
        let principal = self.caller.principal.clone();
        let Some(target) = self.target(person).await? else {
            return Err(FhirError::not_found(resource));
        };
        match decide(&principal, action, Some(target)) {
            Decision::Allow => Ok(()),
            Decision::Deny(reason) => {
                let may_read =
                    action != Action::ReadPerson && decide(&principal, Action::ReadPerson, Some(target)).is_allowed();
                people::record_denied(&self.state.db, &self.caller.audit(), Some(person), reason).await?;
                if may_read {
                    Err(FhirError::new(StatusCode::FORBIDDEN, IssueCode::Forbidden, reason))
                } else {
                    Err(FhirError::not_found(resource))
                }
            }
        }
    }

    /// For a new resource written on the record its `element` names (a Patient reference): the
    /// caller must be allowed `action` on that record. A Patient they cannot see is a fault in
    /// the body (422), never a sign that it exists.
    pub async fn writable(
        &mut self,
        person: Option<Ref>,
        element: &str,
        action: Action,
    ) -> Result<PersonId, FhirError> {
        let unknown = || FhirError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            outcome: OperationOutcome::at(IssueCode::Invalid, element, "No Patient with that id is available to you."),
        };
        let person = person.filter(|r| r.kind == "Patient").map(|r| PersonId::from_uuid(r.id)).ok_or_else(unknown)?;
        if !self.allows(person, Action::ReadPerson).await? {
            return Err(unknown());
        }
        self.admit(person, action, "Patient").await?;
        Ok(person)
    }

    /// The people a search looks at: the one it names, when the caller may do any of `any_of`
    /// on their record; otherwise everyone within the caller's reach (each row still passes the
    /// policy after).
    pub async fn people(&mut self, patient: Option<uuid::Uuid>, any_of: &[Action]) -> Result<Vec<PersonId>, FhirError> {
        let Some(p) = patient else {
            return Ok(access::people_within_reach(&self.state.db, &self.caller.principal).await?);
        };
        let p = PersonId::from_uuid(p);
        for action in any_of {
            if self.allows(p, *action).await? {
                return Ok(vec![p]);
            }
        }
        Ok(Vec::new())
    }
}
