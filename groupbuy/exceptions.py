from storefront.errors import ApplicationError


class TeamFull(ApplicationError):
    code = "team_full"
    status_code = 409
    default_message = "This team has no seat left."


class TeamClosed(ApplicationError):
    code = "team_closed"
    status_code = 409
    default_message = "This team is no longer open (it filled, failed or ran out of time)."


class TeamAlreadyJoined(ApplicationError):
    code = "team_already_joined"
    status_code = 409
    default_message = "You are already in this team."


class OfferUnavailable(ApplicationError):
    code = "team_closed"
    status_code = 409
    default_message = "This team offer is not running or its units are all taken."


class PreSaleUnavailable(ApplicationError):
    code = "presale_closed"
    status_code = 409
    default_message = "This pre-sale is not open."


class PreSaleSoldOut(ApplicationError):
    code = "presale_sold_out"
    status_code = 409
    default_message = "Not enough of this pre-sale's quota is left."
