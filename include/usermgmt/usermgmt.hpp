#pragma once
/// @file usermgmt.hpp
/// Umbrella header of the usermgmt core.

#include "usermgmt/clock.hpp"
#include "usermgmt/config.hpp"
#include "usermgmt/error.hpp"
#include "usermgmt/mail_message.hpp"
#include "usermgmt/mail_queue.hpp"
#include "usermgmt/mailer.hpp"
#include "usermgmt/media_store.hpp"
#include "usermgmt/notifier.hpp"
#include "usermgmt/password_hasher.hpp"
#include "usermgmt/periodic_purge.hpp"
#ifdef USERMGMT_WITH_POSTGRES
#include "usermgmt/postgres_store.hpp"
#endif
#include "usermgmt/result.hpp"
#include "usermgmt/smtp_transport.hpp"
#include "usermgmt/sqlite_store.hpp"
#include "usermgmt/throttle_store.hpp"
#include "usermgmt/types.hpp"
#include "usermgmt/uid.hpp"
#include "usermgmt/user_service.hpp"
#include "usermgmt/user_store.hpp"
