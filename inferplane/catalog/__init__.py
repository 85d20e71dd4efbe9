"""Facts both sides of the toolkit read: the spec (to validate) and the components (to
build). A leaf: it imports nothing of inferplane, the components or Pulumi, so the spec
never depends on a component and a component never depends on the application
(docs/architecture.md)."""
