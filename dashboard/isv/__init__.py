"""Third-party (ISV) suites: suite ticket callback, company switcher, signatures.

The package imports nothing on its own, so `dashboard.services.dingtalk` can use
`dashboard.isv.models` without a circle; the blueprint and its start-up hook are
in `dashboard.isv.views`, the callback protocol in `dashboard.isv.callback`.
"""
