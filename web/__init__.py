"""The web shell: home, sign-in and sign-out, the password page and the role navigation.

Top floor: the composition of what people see. Domain pages live with their domain
and answer through trace.pages.render_page, which lays them out in this shell.
"""
