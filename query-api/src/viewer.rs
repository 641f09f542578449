//! Who is asking, and therefore what they may see.
//!
//! The viewer comes from the request's bearer token (see [`crate::auth`]): no token is
//! [`Viewer::Anonymous`]; a token's role makes a customer, staff or admin. Resolvers never
//! look at tokens, only at the viewer: products by status, a customer's own data by id, and
//! the admin schema by role.

use uuid::Uuid;

use crate::{error::QueryError, schema::products::ProductStatus};

/// The caller of one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Viewer {
    /// A storefront visitor without a token: published products, guest carts.
    #[default]
    Anonymous,
    /// A signed-in shopper: the storefront plus their own profile, orders, carts and mail.
    Customer {
        /// The customer's account id.
        id: Uuid,
    },
    /// Shop staff: every product and the admin schema.
    Staff {
        /// The staff member's account id.
        id: Uuid,
    },
    /// An administrator: what staff sees.
    Admin {
        /// The administrator's account id.
        id: Uuid,
    },
}

impl Viewer {
    /// Whether the viewer has the staff or admin role.
    pub fn is_staff(self) -> bool {
        matches!(self, Self::Staff { .. } | Self::Admin { .. })
    }

    /// The signed-in account, if any.
    pub fn account_id(self) -> Option<Uuid> {
        match self {
            Self::Anonymous => None,
            Self::Customer { id } | Self::Staff { id } | Self::Admin { id } => Some(id),
        }
    }

    /// The signed-in account, or `UNAUTHENTICATED`.
    pub fn require_account(self) -> Result<Uuid, QueryError> {
        self.account_id().ok_or_else(|| {
            QueryError::Unauthenticated("sign in: this field needs a bearer token".to_string())
        })
    }

    /// Passes staff and admins; `UNAUTHENTICATED` without a token, `FORBIDDEN` for customers.
    pub fn require_staff(self) -> Result<(), QueryError> {
        match self {
            Self::Staff { .. } | Self::Admin { .. } => Ok(()),
            Self::Anonymous => Err(QueryError::Unauthenticated(
                "sign in: the admin schema needs a staff or admin token".to_string(),
            )),
            Self::Customer { .. } => Err(QueryError::Forbidden(
                "the admin schema needs the staff or admin role".to_string(),
            )),
        }
    }

    /// Whether the viewer may read data owned by `owner`: the owner and staff may.
    pub fn may_read_owned_by(self, owner: Uuid) -> bool {
        self.is_staff() || self.account_id() == Some(owner)
    }

    /// Statuses this viewer may look up by id or slug.
    pub fn visible_statuses(self) -> Vec<String> {
        let statuses: &[ProductStatus] = if self.is_staff() {
            &[
                ProductStatus::Draft,
                ProductStatus::Published,
                ProductStatus::Deleted,
            ]
        } else {
            &[ProductStatus::Published]
        };
        statuses.iter().map(|s| s.as_db().to_string()).collect()
    }

    /// Statuses a listing shows for an optional `status` filter. Staff listings hide deleted
    /// products unless asked for them.
    pub fn listed_statuses(self, wanted: Option<ProductStatus>) -> Result<Vec<String>, QueryError> {
        match (self.is_staff(), wanted) {
            (false, None | Some(ProductStatus::Published)) => {
                Ok(vec![ProductStatus::Published.as_db().to_string()])
            }
            (false, Some(_)) => Err(QueryError::Forbidden(
                "only published products are visible without the staff role".to_string(),
            )),
            (true, Some(status)) => Ok(vec![status.as_db().to_string()]),
            (true, None) => Ok(vec![
                ProductStatus::Draft.as_db().to_string(),
                ProductStatus::Published.as_db().to_string(),
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAFF: Viewer = Viewer::Staff {
        id: Uuid::from_u128(9),
    };

    #[test]
    fn anonymous_viewers_list_published_products_only() {
        assert_eq!(
            Viewer::Anonymous.listed_statuses(None).ok(),
            Some(vec!["published".to_string()])
        );
        assert!(matches!(
            Viewer::Anonymous.listed_statuses(Some(ProductStatus::Draft)),
            Err(QueryError::Forbidden(_))
        ));
        assert_eq!(Viewer::Anonymous.visible_statuses(), vec!["published"]);
        let customer = Viewer::Customer {
            id: Uuid::from_u128(1),
        };
        assert_eq!(customer.visible_statuses(), vec!["published"]);
    }

    #[test]
    fn staff_listings_hide_deleted_products_unless_asked() {
        assert_eq!(
            STAFF.listed_statuses(None).ok(),
            Some(vec!["draft".to_string(), "published".to_string()])
        );
        assert_eq!(
            STAFF.listed_statuses(Some(ProductStatus::Deleted)).ok(),
            Some(vec!["deleted".to_string()])
        );
    }

    #[test]
    fn owners_and_staff_read_owned_data_and_only_staff_pass_the_admin_guard() {
        let owner = Uuid::from_u128(1);
        let customer = Viewer::Customer { id: owner };
        let other = Viewer::Customer {
            id: Uuid::from_u128(2),
        };
        assert!(customer.may_read_owned_by(owner));
        assert!(STAFF.may_read_owned_by(owner));
        assert!(!other.may_read_owned_by(owner));
        assert!(!Viewer::Anonymous.may_read_owned_by(owner));
        assert!(matches!(
            Viewer::Anonymous.require_staff(),
            Err(QueryError::Unauthenticated(_))
        ));
        assert!(matches!(
            customer.require_staff(),
            Err(QueryError::Forbidden(_))
        ));
        assert!(STAFF.require_staff().is_ok());
    }
}
