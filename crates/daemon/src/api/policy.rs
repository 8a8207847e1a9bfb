//! PolicyService: defined sets, policies and attachments. A mutation is
//! checked with the whole configuration (the file's plus the API's) before
//! anything is stored; then stored; then applied by a reload of the merged
//! configuration, which changes policy without resetting sessions.

use std::sync::Arc;

use rbgp_api::convert::{self, policy as pconv};
use rbgp_api::v1::policy_service_server::PolicyService;
use rbgp_api::v1::*;
use rbgp_api::FieldError;
use rbgp_config::{Config, ConfigError};
use rbgp_policy::{ChainDef, Evaluator, Policies, RouteCtx, Session, Source};
use rbgp_rib::Attrs;
use rbgp_store::{ATTACHMENTS, POLICIES, POLICY_SETS};
use tonic::{Request, Response, Status};

use super::policy_overlay::{attach_to_proto, file_attachments, Attach, PolicyOverlay, Scope};
use super::{status, store_status, Service};
use crate::control::{PrefixMatch, RibQuery, Table};

/// A configuration error as the request's field where it can be placed
/// there (`definitions[3] (NAME).terms[0]...` of the policy being set
/// becomes `policy.terms[0]...`), else as it is.
fn invalid(e: ConfigError, own: Option<(&str, &str)>) -> Status {
    let ConfigError::Invalid { field, reason } = e else {
        return Status::invalid_argument(e.to_string());
    };
    if let Some((name, outer)) = own {
        let marker = format!("({name}).");
        if let Some(i) = field.find(&marker) {
            let rest = field.get(i + marker.len()..).unwrap_or_default();
            return FieldError::new(format!("{outer}.{rest}"), reason).into();
        }
    }
    FieldError::new(field, reason).into()
}

impl Service {
    /// The merged configuration with `change` made to a copy of the API's
    /// policy, checked; the changed overlay if it passes.
    fn try_policy(
        &self,
        change: impl FnOnce(&mut PolicyOverlay),
        own: Option<(&str, &str)>,
    ) -> Result<PolicyOverlay, Status> {
        let (candidate, merged) = self.inner.with_file(|file, overlay| {
            let mut p = overlay.policy.clone();
            change(&mut p);
            let mut o = super::Overlay {
                groups: overlay.groups.clone(),
                dynamic: overlay.dynamic.clone(),
                asn: overlay.asn,
                router_id: overlay.router_id,
                policy: p.clone(),
                bmp: overlay.bmp.clone(),
            };
            let merged = o.merged(file);
            o.policy = PolicyOverlay::default();
            (p, merged)
        });
        merged.check().map_err(|e| invalid(e, own))?;
        Ok(candidate)
    }

    /// Store one record (`None`: delete it), install the checked overlay
    /// and apply the merged configuration. If the daemon refuses, the
    /// record and the overlay go back to what they were: a failed request
    /// changes nothing.
    async fn commit<M: prost::Message + Default>(
        &self,
        table: &rbgp_store::Table<M>,
        key: &str,
        record: Option<&M>,
        p: PolicyOverlay,
    ) -> Result<(), Status> {
        let store = &self.inner.store;
        let before = store.get(table, key).map_err(store_status)?;
        match record {
            Some(m) => store.put(table, key, m),
            None => store.delete(table, key).map(|_| ()),
        }
        .map_err(store_status)?;
        let old = self
            .inner
            .with_file(|_, overlay| std::mem::replace(&mut overlay.policy, p));
        let merged = self.inner.merged();
        if let Err(e) = self.inner.handle.reload(merged).await {
            self.inner.with_file(|_, overlay| overlay.policy = old);
            let undone = match &before {
                Some(m) => store.put(table, key, m),
                None => store.delete(table, key).map(|_| ()),
            };
            if let Err(u) = undone {
                tracing::error!(error = %u, key, "undoing a policy change in the state store");
            }
            return Err(status(e));
        }
        self.inner.refresh_api_neighbors().await;
        Ok(())
    }

    fn file(&self) -> Config {
        self.inner.with_file(|file, _| file.clone())
    }
}

#[tonic::async_trait]
impl PolicyService for Service {
    async fn list_defined_sets(
        &self,
        req: Request<ListDefinedSetsRequest>,
    ) -> Result<Response<ListDefinedSetsResponse>, Status> {
        let want = req.get_ref().kind;
        let merged = self.inner.merged();
        let mine = self.inner.with_file(|_, o| o.policy.sets.clone());
        let sets = pconv::sets_to_proto(&merged.policy.sets, |kind, name| {
            !pconv::has_set(&mine, kind_of(kind), name)
        })
        .into_iter()
        .filter(|s| want == 0 || s.kind == want)
        .collect();
        Ok(Response::new(ListDefinedSetsResponse { sets }))
    }

    async fn set_defined_set(
        &self,
        req: Request<SetDefinedSetRequest>,
    ) -> Result<Response<SetDefinedSetResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let set = req
            .into_inner()
            .set
            .ok_or_else(|| FieldError::new("set", "required"))?;
        let kind = pconv::kind_from_proto(set.kind, "set.kind")?;
        if set.name.is_empty() {
            return Err(FieldError::new("set.name", "required").into());
        }
        let name = set.name.clone();
        let entries = set.entries.clone();
        let kind_text = pconv::kind_name(kind).unwrap_or_default();
        let p = self
            .try_policy(
                |p| {
                    if let Some(m) = pconv::sets_of(&mut p.sets, kind) {
                        m.insert(name.clone(), entries);
                    }
                },
                None,
            )
            .map_err(|s| {
                // `policy.sets.KIND.NAME[i]` is the request's entries[i].
                let prefix = format!("policy.sets.{kind_text}.{name}");
                let msg = s.message().replacen(&prefix, "set.entries", 1);
                Status::new(s.code(), msg)
            })?;
        let key = format!("{kind_text}:{}", set.name);
        let stored = DefinedSet {
            from_file: false,
            ..set
        };
        self.commit(&POLICY_SETS, &key, Some(&stored), p).await?;
        Ok(Response::new(SetDefinedSetResponse {}))
    }

    async fn delete_defined_set(
        &self,
        req: Request<DeleteDefinedSetRequest>,
    ) -> Result<Response<DeleteDefinedSetResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let r = req.into_inner();
        let kind = pconv::kind_from_proto(r.kind, "kind")?;
        let kind_text = pconv::kind_name(kind).unwrap_or_default();
        let mine = self
            .inner
            .with_file(|_, o| pconv::has_set(&o.policy.sets, kind, &r.name));
        if !mine {
            return Err(Status::not_found(format!(
                "no {kind_text} set {:?} added through the API (sets of the configuration file are changed there)",
                r.name
            )));
        }
        let users: Vec<String> = Policies::compile(&self.inner.merged().policy)
            .map(|p| {
                p.set_users()
                    .into_iter()
                    .filter(|((k, s), _)| *k == kind_text && *s == r.name)
                    .map(|(_, policy)| policy)
                    .collect()
            })
            .unwrap_or_default();
        if !users.is_empty() {
            return Err(Status::failed_precondition(format!(
                "{kind_text} set {:?} is used by policies: {}",
                r.name,
                users.join(", ")
            )));
        }
        let p = self.try_policy(
            |p| {
                if let Some(m) = pconv::sets_of(&mut p.sets, kind) {
                    m.remove(&r.name);
                }
            },
            None,
        )?;
        let key = format!("{kind_text}:{}", r.name);
        self.commit::<DefinedSet>(&POLICY_SETS, &key, None, p)
            .await?;
        Ok(Response::new(DeleteDefinedSetResponse {}))
    }

    async fn list_policies(
        &self,
        req: Request<ListPoliciesRequest>,
    ) -> Result<Response<ListPoliciesResponse>, Status> {
        let want = req.into_inner().name;
        let merged = self.inner.merged();
        let mine: Vec<String> = self.inner.with_file(|_, o| {
            o.policy
                .definitions
                .iter()
                .map(|d| d.name.clone())
                .collect()
        });
        let hits = self
            .inner
            .handle
            .rib_sizes()
            .await
            .map(|s| s.policy_hits)
            .unwrap_or_default();
        let policies = merged
            .policy
            .definitions
            .iter()
            .filter(|d| want.is_empty() || d.name == want)
            .map(|d| {
                let count = |term: &str| {
                    hits.iter()
                        .find(|(p, t, _)| *p == d.name && t == term)
                        .map_or(0, |(_, _, n)| *n)
                };
                pconv::policy_to_proto(d, !mine.contains(&d.name), count)
            })
            .collect::<Vec<_>>();
        if !want.is_empty() && policies.is_empty() {
            return Err(Status::not_found(format!("no policy {want:?}")));
        }
        Ok(Response::new(ListPoliciesResponse { policies }))
    }

    async fn set_policy(
        &self,
        req: Request<SetPolicyRequest>,
    ) -> Result<Response<SetPolicyResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let msg = req
            .into_inner()
            .policy
            .ok_or_else(|| FieldError::new("policy", "required"))?;
        let def = pconv::policy_from_proto(&msg).map_err(|e| e.in_field("policy"))?;
        let name = def.name.clone();
        let p = self.try_policy(
            |p| match p.definitions.iter_mut().find(|d| d.name == name) {
                Some(d) => *d = def.clone(),
                None => p.definitions.push(def.clone()),
            },
            Some((&name, "policy")),
        )?;
        let stored = pconv::policy_to_proto(&def, false, |_| 0);
        self.commit(&POLICIES, &name, Some(&stored), p).await?;
        Ok(Response::new(SetPolicyResponse {}))
    }

    async fn delete_policy(
        &self,
        req: Request<DeletePolicyRequest>,
    ) -> Result<Response<DeletePolicyResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let name = req.into_inner().name;
        let mine = self
            .inner
            .with_file(|_, o| o.policy.definitions.iter().any(|d| d.name == name));
        if !mine {
            return Err(Status::not_found(format!(
                "no policy {name:?} added through the API (policies of the configuration file are changed there)"
            )));
        }
        // Attachments of API neighbors are not in the merged file, which
        // the check below reads.
        let attached: Vec<String> = self.inner.with_file(|_, o| {
            o.policy
                .attachments
                .iter()
                .filter(|a| a.policies.contains(&name))
                .map(|a| a.key())
                .collect()
        });
        let in_file = self
            .file()
            .policy
            .definitions
            .iter()
            .any(|d| d.name == name);
        if !attached.is_empty() && !in_file {
            return Err(Status::failed_precondition(format!(
                "policy {name:?} is in use: attached at {}",
                attached.join(", ")
            )));
        }
        // A policy of the file by the same name comes back; otherwise
        // every chain naming it must go first.
        let p = self
            .try_policy(|p| p.definitions.retain(|d| d.name != name), None)
            .map_err(|s| {
                Status::failed_precondition(format!("policy {name:?} is in use: {}", s.message()))
            })?;
        self.commit::<Policy>(&POLICIES, &name, None, p).await?;
        Ok(Response::new(DeletePolicyResponse {}))
    }

    async fn list_attachments(
        &self,
        _req: Request<ListAttachmentsRequest>,
    ) -> Result<Response<ListAttachmentsResponse>, Status> {
        let file = file_attachments(&self.file());
        let mine = self.inner.with_file(|_, o| o.policy.attachments.clone());
        let mut attachments: Vec<Attachment> = file
            .iter()
            .filter(|f| !mine.iter().any(|m| m.same_place(f)))
            .map(|a| attach_to_proto(a, true))
            .collect();
        attachments.extend(mine.iter().map(|a| attach_to_proto(a, false)));
        Ok(Response::new(ListAttachmentsResponse { attachments }))
    }

    async fn set_attachment(
        &self,
        req: Request<SetAttachmentRequest>,
    ) -> Result<Response<SetAttachmentResponse>, Status> {
        self.writable()?;
        let _one = self.inner.config_lock.lock().await;
        let msg = req
            .into_inner()
            .attachment
            .ok_or_else(|| FieldError::new("attachment", "required"))?;
        let a = Attach::from_proto(&msg).map_err(|e| e.in_field("attachment"))?;
        match &a.scope {
            Scope::Global => {}
            Scope::Group(g) => {
                if !self.inner.merged().peer_groups.contains_key(g) {
                    return Err(Status::not_found(format!("no peer group {g:?}")));
                }
            }
            Scope::Neighbor(n) => {
                let st = self.inner.handle.neighbor(*n).await.map_err(status)?;
                if st.dynamic {
                    return Err(Status::failed_precondition(format!(
                        "{n} is a dynamic neighbor, which lasts as long as its session: attach to its peer group {:?}",
                        st.neighbor.peer_group.as_deref().unwrap_or_default()
                    )));
                }
            }
        }
        if a.family.is_some() && a.default.is_some() {
            // The configuration keeps one default per scope and direction.
            return Err(FieldError::new(
                "attachment.default",
                "a chain's default applies to every family of its scope: set it on an attachment without a family",
            )
            .into());
        }
        let detach = a.policies.is_empty();
        if !detach {
            // API neighbors' attachments are not in the merged file, which
            // the check below reads: their names are checked here.
            let merged = self.inner.merged();
            let compiled = Policies::compile(&merged.policy)
                .map_err(|e| Status::failed_precondition(e.to_string()))?;
            let def = ChainDef {
                policies: a.policies.clone(),
                default: a.default,
            };
            compiled
                .chain(&def, "attachment.policies")
                .map_err(|e| FieldError::new(e.field, e.reason))?;
        }
        let place = a.clone();
        let p = self
            .try_policy(
                |p| {
                    p.attachments.retain(|x| !x.same_place(&place));
                    if !detach {
                        p.attachments.push(place.clone());
                    }
                },
                None,
            )
            .map_err(|s| {
                // The chain is the request's.
                Status::new(s.code(), format!("attachment.policies: {}", s.message()))
            })?;
        let record = (!detach).then(|| attach_to_proto(&a, false));
        self.commit(&ATTACHMENTS, &a.key(), record.as_ref(), p)
            .await?;
        Ok(Response::new(SetAttachmentResponse {}))
    }

    async fn test_policy(
        &self,
        req: Request<TestPolicyRequest>,
    ) -> Result<Response<TestPolicyResponse>, Status> {
        let r = req.into_inner();
        let merged = self.inner.merged();
        let policies = Arc::new(
            Policies::compile(&merged.policy)
                .map_err(|e| Status::failed_precondition(e.to_string()))?,
        );
        let import = r.direction == Direction::Import as i32;
        // The route: given, or one from the RIB.
        let (family, prefix, path_id, attrs, from) = if let Some(path) = &r.route {
            let p = convert::path_from_proto(path).map_err(|e| e.in_field("route"))?;
            let family = convert::family_from_proto(r.family.as_ref(), "family")?.unwrap_or(
                if p.prefix.is_ipv4() {
                    rbgp_wire::AfiSafi::IPV4_UNICAST
                } else {
                    rbgp_wire::AfiSafi::IPV6_UNICAST
                },
            );
            let from = (!r.from.is_empty())
                .then(|| convert::parse_ip(&r.from, "from"))
                .transpose()?;
            (family, p.prefix, p.path_id, p.attrs, from)
        } else {
            let from = convert::parse_ip(&r.from, "from")?;
            let prefix = convert::prefix_from_proto(&r.prefix, "prefix")?;
            let family = if prefix.is_ipv4() {
                rbgp_wire::AfiSafi::IPV4_UNICAST
            } else {
                rbgp_wire::AfiSafi::IPV6_UNICAST
            };
            let query = |table| RibQuery {
                table,
                family: Some(family),
                prefix: PrefixMatch::Exact(prefix),
            };
            let h = &self.inner.handle;
            let found = if import {
                // Import policy runs on the route as the neighbor sent it:
                // its pre-policy table, or the filtered one (what import
                // rejected, as policy saw it). The accepted table holds
                // what the policy already changed.
                let pre = h.routes(query(Table::AdjInPre(from))).await;
                let filtered = h.routes(query(Table::Filtered(from))).await;
                match (pre, filtered) {
                    (Ok(v), _) if !v.is_empty() => v,
                    (_, Ok(v)) if !v.is_empty() => v,
                    (Ok(_), _) => Vec::new(),
                    (Err(e), _) if h.neighbor(from).await.is_err() => return Err(status(e)),
                    (Err(_), _) => {
                        return Err(Status::failed_precondition(format!(
                            "neighbor {from} keeps no pre-policy routes to test import policy on (keep_pre_policy = true), or give the route"
                        )))
                    }
                }
            } else {
                // Export policy runs on the route as the RIB holds it.
                h.routes(query(Table::AdjIn(from))).await.map_err(status)?
            };
            let e = found.into_iter().next().ok_or_else(|| {
                Status::not_found(format!("no route {prefix} from {from} in the RIB"))
            })?;
            (
                family,
                prefix,
                e.path_id,
                Attrs::clone(&e.attrs),
                Some(from),
            )
        };
        // The chain: listed, or attached for the neighbor.
        let neighbor = (!r.neighbor.is_empty())
            .then(|| convert::parse_ip(&r.neighbor, "neighbor"))
            .transpose()?;
        let resolved = match neighbor.or(from) {
            Some(a) => self.inner.handle.neighbor(a).await.ok().map(|n| n.neighbor),
            None => None,
        };
        let def = if !r.policies.is_empty() {
            Some(ChainDef {
                policies: r.policies.clone(),
                default: None,
            })
        } else {
            let n = neighbor
                .and(resolved.as_ref())
                .ok_or_else(|| FieldError::new("policies", "give the policies or a neighbor"))?;
            if import {
                n.policy.import_chain(family).cloned()
            } else {
                n.policy.export_chain(family).cloned()
            }
        };
        let Some(def) = def else {
            return Ok(Response::new(TestPolicyResponse {
                accepted: resolved.is_some_and(|n| !n.is_ebgp(merged.global.asn)),
                result: Some(convert::path_to_proto(&prefix, path_id, &attrs)),
                decided_by: "no policy attached (RFC 8212 for eBGP: nothing accepted or sent)"
                    .into(),
                trace: Vec::new(),
            }));
        };
        let chain = policies
            .chain(&def, "policies")
            .map_err(|e| FieldError::new(e.field, e.reason))?;
        let session = Session {
            local_asn: merged.global.asn,
            local_address: None,
            peer_address: neighbor,
        };
        let source_n = from.and_then(|a| {
            merged
                .neighbors()
                .ok()
                .and_then(|v| v.into_iter().find(|n| n.address == a))
                .or_else(|| resolved.clone().filter(|n| n.address == a))
        });
        let route = match (from, &source_n) {
            (Some(a), Some(n)) => {
                let ebgp = n.is_ebgp(merged.global.asn);
                let mut ctx = RouteCtx::learned(
                    family,
                    Some(prefix),
                    a,
                    n.remote_asn,
                    match (ebgp, n.route_reflector_client) {
                        (true, _) => Source::Ebgp,
                        (false, true) => Source::Reflected,
                        (false, false) => Source::Ibgp,
                    },
                );
                ctx.peer_group = n.peer_group.as_deref();
                ctx
            }
            _ => RouteCtx {
                family,
                prefix: Some(prefix),
                neighbor: from,
                neighbor_asn: None,
                peer_group: None,
                source: if from.is_some() {
                    Source::Ebgp
                } else {
                    Source::Injected
                },
                rpki: Default::default(),
                aspa: Default::default(),
            },
        };
        let mut e = Evaluator::new(Arc::clone(&policies), chain, session);
        let mut trace = Vec::new();
        let o = e.evaluate_traced(&route, &Arc::new(attrs), &mut |x| Arc::new(x), &mut trace);
        let decided_by = match o.decided {
            rbgp_policy::Decided::Term { policy, term } => format!(
                "policy {} term {}",
                policies.policy_name(policy),
                policies.term_name(policy, term)
            ),
            rbgp_policy::Decided::Default { policy } => {
                format!("policy {} default", policies.policy_name(policy))
            }
            rbgp_policy::Decided::Chain => "the chain's default".into(),
        };
        Ok(Response::new(TestPolicyResponse {
            accepted: o.accept,
            result: Some(convert::path_to_proto(&prefix, path_id, &o.attrs)),
            decided_by,
            trace: trace.iter().map(super::rib::trace_step).collect(),
        }))
    }
}

/// A set kind from its `[policy.sets.KIND]` name.
fn kind_of(name: &str) -> SetKind {
    use SetKind as K;
    match name {
        "prefix" => K::Prefix,
        "as_path" => K::AsPath,
        "asn" => K::Asn,
        "community" => K::Community,
        "large_community" => K::LargeCommunity,
        "ext_community" => K::ExtCommunity,
        "neighbor" => K::Neighbor,
        "next_hop" => K::NextHop,
        _ => K::Unspecified,
    }
}
