"""Things customers do: logins, page views, feature use, email engagement, tickets, complaints."""
