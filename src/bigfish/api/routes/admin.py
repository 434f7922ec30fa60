"""Administration: organizations, API keys, users, sharing groups, webhooks, allowed peers.

An organization's admin manages its own organization; creating organizations, platform keys,
credentials of another organization and allowed peers needs a platform admin.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from bigfish.accounts import Principal, add_user, create_key, list_keys, list_users, revoke_key
from bigfish.api.deps import Access, requires
from bigfish.api.schemas import (
    ERRORS,
    DbId,
    GroupIn,
    GroupView,
    KeyCreated,
    KeyIn,
    KeyView,
    MemberIn,
    OrgIn,
    OrgNodeView,
    OrgView,
    PeerIn,
    PeerView,
    UserIn,
    UserView,
    WebhookCreated,
    WebhookIn,
    WebhookView,
)
from bigfish.api.strict import StrictJsonRoute
from bigfish.memberships import add_member, create_group, get_group, groups_of, remove_member
from bigfish.organizations import SharingGroup, add_org, list_org_nodes, list_orgs
from bigfish.webhooks import (
    add_webhook,
    allow_peer,
    list_allowed_peers,
    list_webhooks,
    remove_webhook,
)

router = APIRouter(tags=["admin"], responses=ERRORS, route_class=StrictJsonRoute)

Reader = Annotated[Principal, Depends(requires(Access.READ))]
Admin = Annotated[Principal, Depends(requires(Access.ADMIN))]
Platform = Annotated[Principal, Depends(requires(Access.PLATFORM))]


@router.get("/orgs", response_model=list[OrgNodeView], response_model_exclude_unset=True)
def orgs(request: Request, principal: Reader) -> list[OrgNodeView]:
    """The organizations of the partnership (a directory: names, countries, sectors); to a
    platform admin also the node each lives on and the key pinned for that node, what a peer's
    changes in its name are checked against."""
    store = request.app.state.store
    if not principal.platform:
        return [
            OrgNodeView(name=o.name, country=o.country, sector=o.sector) for o in list_orgs(store)
        ]
    return [
        OrgNodeView(
            name=o.org.name,
            country=o.org.country,
            sector=o.org.sector,
            node=o.node,
            node_key=o.key,
            node_key_pinned_by=o.pinned_by,
        )
        for o in list_org_nodes(store)
    ]


@router.post("/orgs", response_model=OrgView, status_code=201)
def new_org(body: OrgIn, request: Request, principal: Platform) -> OrgView:
    """A new organization (platform admins only)."""
    org = add_org(request.app.state.store, body.name, country=body.country, sector=body.sector)
    return OrgView(name=org.name, country=org.country, sector=org.sector)


@router.post("/keys", response_model=KeyCreated, status_code=201)
def new_key(body: KeyIn, request: Request, principal: Admin) -> KeyCreated:
    """A new API key, shown once; only its hash is kept."""
    key = create_key(
        request.app.state.store,
        org=body.org or principal.org_name,
        role=body.role,
        platform=body.platform,
        label=body.label,
        granter=principal,
    )
    return KeyCreated(id=key.id, key=key.secret, org=key.org, role=key.role, platform=key.platform)


@router.get("/keys", response_model=list[KeyView])
def keys(request: Request, principal: Admin) -> list[KeyView]:
    """The caller's organization's keys (never the keys themselves)."""
    return [
        KeyView(
            id=k.id,
            org=k.org,
            role=k.role,
            platform=k.platform,
            prefix=k.prefix,
            label=k.label,
            created_at=k.created_at,
            revoked=k.revoked,
        )
        for k in list_keys(request.app.state.store, principal)
    ]


@router.delete("/keys/{key_id}", status_code=204)
def revoke(key_id: DbId, request: Request, principal: Admin) -> Response:
    """Revoke a key; it fails from the next request on."""
    revoke_key(request.app.state.store, key_id, principal)
    return Response(status_code=204)


@router.post("/users", response_model=UserView, status_code=201)
def new_user(body: UserIn, request: Request, principal: Admin) -> UserView:
    """A web user of the caller's organization (argon2id password hash)."""
    user = add_user(
        request.app.state.store,
        org=principal.org_name,
        username=body.username,
        password=body.password,
        role=body.role,
        granter=principal,
    )
    return UserView(id=user.id, username=user.username, org=user.org, role=user.role)


@router.get("/users", response_model=list[UserView])
def users(request: Request, principal: Admin) -> list[UserView]:
    """The caller's organization's web users."""
    return [
        UserView(id=u.id, username=u.username, org=u.org, role=u.role)
        for u in list_users(request.app.state.store, principal)
    ]


def _group_view(group: SharingGroup) -> GroupView:
    return GroupView(name=group.name, owner=group.owner, members=list(group.members))


@router.get("/groups", response_model=list[GroupView])
def groups(request: Request, principal: Reader) -> list[GroupView]:
    """The sharing groups the caller's organization belongs to."""
    return [_group_view(g) for g in groups_of(request.app.state.store, principal)]


@router.post("/groups", response_model=GroupView, status_code=201)
def new_group(body: GroupIn, request: Request, principal: Admin) -> GroupView:
    """A new sharing group owned by the caller's organization."""
    return _group_view(create_group(request.app.state.store, principal, body.name, body.members))


@router.get("/groups/{name}", response_model=GroupView)
def group(name: str, request: Request, principal: Reader) -> GroupView:
    """One group, for its members only (404 for everyone else)."""
    return _group_view(get_group(request.app.state.store, principal, name))


@router.post("/groups/{name}/members", response_model=GroupView)
def join(name: str, body: MemberIn, request: Request, principal: Admin) -> GroupView:
    """Add an organization to a group the caller's organization owns."""
    return _group_view(add_member(request.app.state.store, principal, name, body.org))


@router.delete("/groups/{name}/members/{org}", response_model=GroupView)
def leave(name: str, org: str, request: Request, principal: Admin) -> GroupView:
    """Remove an organization from a group the caller's organization owns."""
    return _group_view(remove_member(request.app.state.store, principal, name, org))


@router.post("/webhooks", response_model=WebhookCreated, status_code=201)
def new_webhook(body: WebhookIn, request: Request, principal: Admin) -> WebhookCreated:
    """Send the organization's alerts to URL, signed with the secret shown once."""
    hook, secret = add_webhook(request.app.state.store, principal.org_id, body.url)
    return WebhookCreated(id=hook.id, url=hook.url, secret=secret)


@router.get("/webhooks", response_model=list[WebhookView])
def webhooks(request: Request, principal: Admin) -> list[WebhookView]:
    """The organization's webhooks (never their secrets)."""
    return [
        WebhookView(id=h.id, url=h.url)
        for h in list_webhooks(request.app.state.store, principal.org_id)
    ]


@router.delete("/webhooks/{hook_id}", status_code=204)
def delete_webhook(hook_id: DbId, request: Request, principal: Admin) -> Response:
    """Remove one of the organization's webhooks."""
    remove_webhook(request.app.state.store, principal.org_id, hook_id)
    return Response(status_code=204)


@router.get("/peers", response_model=list[PeerView])
def peers(request: Request, principal: Platform) -> list[PeerView]:
    """Internal origins outgoing calls may reach."""
    return [PeerView(origin=o, note=n) for o, n in list_allowed_peers(request.app.state.store)]


@router.post("/peers", response_model=PeerView, status_code=201)
def new_peer(body: PeerIn, request: Request, principal: Platform) -> PeerView:
    """Allow one exact origin (scheme://host:port) though it is internal."""
    return PeerView(
        origin=allow_peer(request.app.state.store, body.origin, body.note), note=body.note
    )
