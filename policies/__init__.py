"""inferplane's policy pack: residency, reserved-capacity and safety rules over a
normalized resource, run offline by ``inferplane check`` and in Pulumi CrossGuard by
``policies/__main__.py`` (the only module that builds a PolicyPack: constructing one starts
a gRPC server and blocks, so nothing imports it).

    policies.model        Resource, Rule (ResourceRule, StackRule), Violation, Context
    policies.rules.*      one rule per module, each defining RULE
    policies.registry     discovers the rules
    policies.config       the organisation's policy file (OrgPolicy)
    policies.waivers      the waiver file
    policies.normalize    graph / CrossGuard resources -> Resource
    policies.engine       evaluate rules, apply waivers -> Report
    policies.offline      plan + spec -> Report (``inferplane check``)
    policies.crossguard   rules -> pulumi_policy policies
    policies.report.*     table, JSON, SARIF 2.1.0, JUnit XML
"""
