//! EmailClaim: the set-uniqueness rule "one active account per e-mail address", as its own
//! aggregate keyed by the normalized address (`email-<address>`).
//!
//! Registration claims the address before (or while) creating the customer; deactivation or an
//! e-mail change releases it. Claims by the holder are idempotent.

mod commands;
mod errors;
mod events;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use commands::EmailClaimCommand;
pub use errors::EmailClaimError;
pub use events::EmailClaimEvent;

use crate::Aggregate;
use crate::values::Email;

/// Stream name prefix.
pub const KIND: &str = "email";

/// The stream of one address: `email-<normalized address>`.
pub fn stream_id(email: &Email) -> String {
    format!("{KIND}-{email}")
}

/// `stream` as logs may show it: an address is personal data, so an address's stream is shown
/// by its kind only (`email-<redacted>`); every other stream name carries no personal data.
pub fn loggable_stream(stream: &str) -> &str {
    match stream
        .strip_prefix(KIND)
        .and_then(|rest| rest.strip_prefix('-'))
    {
        Some(_) => "email-<redacted>",
        None => stream,
    }
}

/// The claim state of one address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailClaim {
    email: Option<Email>,
    holder: Option<Uuid>,
}

impl EmailClaim {
    /// The address, once the stream exists.
    pub fn email(&self) -> Option<&Email> {
        self.email.as_ref()
    }

    /// The customer currently holding the address, if any.
    pub fn holder(&self) -> Option<Uuid> {
        self.holder
    }
}

impl Aggregate for EmailClaim {
    const KIND: &'static str = KIND;
    type Command = EmailClaimCommand;
    type Event = EmailClaimEvent;
    type Error = EmailClaimError;

    fn decide(&self, command: EmailClaimCommand) -> Result<Vec<EmailClaimEvent>, EmailClaimError> {
        match command {
            EmailClaimCommand::ClaimEmail { email, customer_id } => match self.holder {
                Some(holder) if holder == customer_id => Ok(vec![]),
                Some(_) => Err(EmailClaimError::Taken),
                None => Ok(vec![EmailClaimEvent::EmailClaimed { email, customer_id }]),
            },
            EmailClaimCommand::ReleaseEmail { customer_id } => {
                let Some(email) = &self.email else {
                    return Err(EmailClaimError::NotFound);
                };
                match self.holder {
                    Some(holder) if holder == customer_id => {
                        Ok(vec![EmailClaimEvent::EmailReleased {
                            email: email.clone(),
                            customer_id,
                        }])
                    }
                    Some(_) => Err(EmailClaimError::HeldByAnother),
                    // Already free: a redelivered release changes nothing.
                    None => Ok(vec![]),
                }
            }
        }
    }

    fn evolve(mut self, event: &EmailClaimEvent) -> Self {
        match event {
            EmailClaimEvent::EmailClaimed { email, customer_id } => {
                self.email = Some(email.clone());
                self.holder = Some(*customer_id);
            }
            EmailClaimEvent::EmailReleased { .. } => self.holder = None,
        }
        self
    }
}
