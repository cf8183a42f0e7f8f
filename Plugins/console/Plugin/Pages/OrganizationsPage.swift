import GatehouseJSON
import PluginKit

/// `GET /console/organizations?page=` and `GET /console/organizations/<id>`, through the
/// organization plugin's `listOrganizations` and `getOrganization`; without that plugin the list
/// says so and an organization is 404.
struct OrganizationsPage: Sendable {
    let context: ConsoleContext

    func list(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        let paging = try Paging(visit, size: context.settings.pageSize)
        var values: [String: Any] = ["missing": false, "hasRows": false]
        if let answer = try context.optionalService("organization", "listOrganizations", ["limit": .int(paging.size), "offset": .int(paging.offset)]) {
            let organizations = answer["organizations"]?.arrayValue ?? []
            let total = answer["total"]?.intValue ?? 0
            let rows: [[String: Any]] = organizations.map { organization in
                [
                    "href": context.paths.page("organizations", organization["id"]?.stringValue ?? ""),
                    "name": organization["name"]?.displayText ?? "", "slug": organization["slug"]?.displayText ?? "",
                    "created": DisplayTime.value(organization["createdAt"]),
                ]
            }
            values["rows"] = rows
            values["hasRows"] = !rows.isEmpty
            values["paging"] = paging.values(context.paths.page("organizations"), hasNext: paging.offset + organizations.count < total)
        } else {
            values["missing"] = true
        }
        return context.show(Page(template: "organizations", title: "Organizations", section: .organizations, values: values), to: viewer)
    }

    func detail(_ visit: Visit) throws -> PluginAnswer {
        let viewer = try visit.actor
        let id = try visit.param("id")
        guard let organization = try context.optionalService("organization", "getOrganization", ["organizationId": .string(id)]) else {
            throw ConsoleError.notFound.failure(message: "The organization plugin is not loaded")
        }
        let members: [[String: Any]] = (organization["members"]?.arrayValue ?? []).map { member in
            var row: [String: Any] = [
                "email": member["user"]?["email"]?.displayText ?? "", "name": member["user"]?["name"]?.displayText ?? "",
                "role": member["role"]?.displayText ?? "", "created": DisplayTime.value(member["createdAt"]),
            ]
            if let userID = member["userId"]?.stringValue ?? member["user"]?["id"]?.stringValue { row["href"] = context.paths.page("users", userID) }
            return row
        }
        let invitations: [[String: Any]] = (organization["invitations"]?.arrayValue ?? []).map { invitation in
            [
                "email": invitation["email"]?.displayText ?? "", "role": invitation["role"]?.displayText ?? "",
                "status": invitation["status"]?.displayText ?? "", "expires": DisplayTime.value(invitation["expiresAt"]),
            ]
        }
        let name = organization["name"]?.displayText ?? ""
        let page = Page(template: "organization", title: name.isEmpty ? "Organization" : name, section: .organizations, values: [
            "id": organization["id"]?.displayText ?? id, "name": name, "slug": organization["slug"]?.displayText ?? "",
            "created": DisplayTime.value(organization["createdAt"]),
            "members": members, "hasMembers": !members.isEmpty, "invitations": invitations, "hasInvitations": !invitations.isEmpty,
        ])
        return context.show(page, to: viewer)
    }
}
