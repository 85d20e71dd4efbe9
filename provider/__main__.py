"""The provider's entry point: Pulumi's component provider host serving every public
component of ``inferplane.components`` (``inferplane.provider``)."""

from inferplane.provider import main

if __name__ == "__main__":
    main()
