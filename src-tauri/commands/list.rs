// The one declaration of the app's IPC surface. Each entry is a command: its name, the core
// handle it gets (and `app`, the AppHandle, for commands that emit events), its arguments as the
// UI sends them, what it returns, and its body: one call into the core.
//
// From this list come the Tauri commands and their invoke handler (commands/mod.rs), the
// command list of the app manifest and the capability that grants exactly these commands
// (build.rs writes capabilities/default.json), and the typed TypeScript client
// ui/src/commands.gen.ts (name -> arguments -> result) that ui/src/api.ts and the dev mocks use.

ipc! {
    // ------------------------------------------------------------------ integrations
    list_integrations(core;) -> Vec<Integration> {
        core.integrations().list().await
    }
    get_integration(core; name: String) -> Integration {
        core.integrations().get(&name).await
    }
    add_integration(core; input: IntegrationInput) -> Integration {
        core.integrations().add(input).await
    }
    update_integration(core; name: String, input: IntegrationInput) -> Integration {
        core.integrations().update(&name, input).await
    }
    remove_integration(core; name: String) -> Integration {
        core.integrations().remove(&name).await
    }
    /// The password of a session-only integration, for the rest of this process.
    set_session_password(core; name: String, password: String) -> () {
        core.integrations()
            .set_session_password(&name, Secret::new(password))
            .await
    }
    test_integration(core; name: String) -> ConnectionReport {
        core.integrations().test(&name).await
    }
    /// Every problem of the settings, each naming its field: the wizard shows them in place.
    validate_integration(core; input: IntegrationInput, existing: Option<String>) -> Vec<Error> {
        core.integrations().problems(&input, existing.as_deref()).await
    }
    /// Tests settings before they are saved; `existing` names the integration being edited.
    test_integration_input(core; input: IntegrationInput, existing: Option<String>) -> ConnectionReport {
        core.integrations().test_input(input, existing.as_deref()).await
    }
    /// The PostgreSQL instances and Aurora clusters of a region with every tag of `tags`
    /// (`[key, null]`: any value).
    discover_rds(core; region: String, access: AwsAccessInput, tags: Vec<(String, Option<String>)>) -> Vec<RdsDatabase> {
        core.integrations().discover_rds(&region, &access, &tags).await
    }
    /// Saves databases discovery found as integrations, all or none.
    add_discovered(core; request: AddDiscovered) -> DiscoveredAdded {
        core.integrations().add_discovered(request).await
    }
    import_candidates(core; source: ImportSource) -> Vec<ImportCandidate> {
        core.integrations().import_candidates(&source)
    }
    import_integration(core; request: ImportRequest) -> Integration {
        core.integrations().import(request).await
    }

    // ------------------------------------------------------------------ catalog tree
    list_databases(core; integration: String, query: TreeQuery) -> Page<DatabaseNode> {
        core.catalog().databases(&integration, &query).await
    }
    list_schemas(core; integration: String, database: String, query: TreeQuery) -> Page<SchemaNode> {
        core.catalog().schemas(&integration, &database, &query).await
    }
    list_relations(core; integration: String, database: String, schema: String, query: TreeQuery) -> Page<RelationNode> {
        core.catalog().relations(&integration, &database, &schema, &query).await
    }
    schema_stats(core; integration: String, database: String, schema: String) -> SchemaStats {
        core.catalog().schema_stats(&integration, &database, &schema).await
    }
    relation_detail(core; integration: String, database: String, schema: String, name: String) -> RelationDetail {
        core.catalog().relation_detail(&integration, &database, &schema, &name).await
    }

    // ------------------------------------------------------------------ sandbox
    sandbox_status(core;) -> SandboxStatus {
        core.sandbox().status().await
    }
    sandbox_start(core, app;) -> SandboxStatus {
        core.sandbox().start(&progress(app)).await
    }
    sandbox_stop(core;) -> SandboxStatus {
        core.sandbox().stop().await
    }
    /// Called once by the UI at launch: with no integration saved, creates the sandbox (emitting
    /// `sandbox-progress` events); starts it if it exists but is stopped.
    startup(core, app;) -> Option<SandboxStatus> {
        core.sandbox().ensure_default(&progress(app)).await
    }

    // ------------------------------------------------------------------ privileges
    // `database`: the database the user is in; None is the integration's default database.
    object_grants(core; integration: String, database: Option<String>, object: ObjectRef) -> ObjectGrants {
        core.privileges().object_grants(&integration, database.as_deref(), &object).await
    }
    who_can(core; integration: String, database: Option<String>, object: ObjectRef, privilege: Privilege) -> WhoCanAnswer {
        core.privileges().who_can(&integration, database.as_deref(), &object, privilege).await
    }
    role_report(core; integration: String, database: Option<String>, role: String) -> RoleReport {
        core.privileges().role_report(&integration, database.as_deref(), &role).await
    }
    list_roles(core; integration: String, database: Option<String>) -> Vec<Role> {
        core.privileges().roles(&integration, database.as_deref()).await
    }
    /// Plans the changes; the core keeps the plan under PlanView.id for run_plan.
    plan_changes(core; integration: String, database: Option<String>, changes: Vec<Change>) -> PlanView {
        core.privileges().plan(&integration, database.as_deref(), &changes).await
    }
    /// Runs a kept plan: a dry run (always rolled back) or an apply; the SQL run is the SQL
    /// shown. An apply on a production integration needs `confirm` = its name.
    run_plan(core; plan: String, dry: bool, confirm: Option<String>) -> ApplyResult {
        core.privileges().run_plan(&plan, dry, confirm.as_deref()).await
    }
    /// Forgets the cached inspection of an integration: the next view reads the server again.
    refresh_privileges(core; integration: String) -> () {
        core.privileges().refresh(&integration).await
    }

    // ------------------------------------------------------------------ connector setup
    /// The connector's setup as a script without a server (the wizard, before a save).
    setup_script(core; request: SetupRequest, databases: Vec<String>, schemas: Vec<String>) -> SetupPlan {
        core.setup().script(&request, &databases, &schemas)
    }
    /// The setup planned against an integration's server (connected as an administrator): its
    /// steps go to plan staging, one plan per database.
    setup_plan(core; integration: String, request: SetupRequest) -> SetupPlan {
        core.setup().plan(&integration, &request).await
    }

    // ------------------------------------------------------------------ audit
    audit_log(core; limit: u32) -> Vec<AuditEntry> {
        core.audit().log(limit).await
    }
    audit_export(core; format: String) -> String {
        core.audit().export(&format).await
    }
    /// Writes the audit log as CSV or JSON to the file the user chose in the save dialog.
    audit_save(core; path: String, format: String) -> SavedExport {
        core.audit().save(&path, &format).await
    }
}
